"""How the Data tab shows a dataset: rows as readable text, lengths as a histogram.

Pure data in, plain data out (strings, a Vega-Lite spec): the tab only hands them to its components.
"""

#: Characters of one cell shown in the preview; the full row is in the report.
CELL_CHARS = 300
#: Characters of one message inside a conversational cell.
MESSAGE_CHARS = 160


def preview_rows(rows: list[dict]) -> tuple[list[str], list[list]]:
    """(columns, rows) of a preview table: conversations as "role: content" lines, long text trimmed."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return columns, [[cell_text(row.get(column)) for column in columns] for row in rows]


def cell_text(value) -> str | int | float | bool | None:
    """One value as a person reads it: numbers and flags as they are, text trimmed, messages as lines."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return _trim("\n".join(f"{m['role']}: {_trim(' '.join(_content(m.get('content')).split()), MESSAGE_CHARS)}"
                               for m in value), CELL_CHARS)
    if isinstance(value, str):
        return _trim(value, CELL_CHARS)
    return _trim(str(value), CELL_CHARS)


def length_histogram_spec(histogram: dict, unit: str = "characters") -> dict | None:
    """A Vega-Lite spec of the length histogram: one translucent bar series per field, overlaid on
    shared bins, so chosen and rejected lengths can be compared bin by bin. None without data."""
    edges, counts = histogram.get("edges", []), histogram.get("counts", {})
    if len(edges) < 2 or not counts:
        return None
    values = [{"from": edges[i], "to": edges[i + 1], "rows": n, "field": field}
              for field, bins in counts.items() for i, n in enumerate(bins)]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 560, "height": 220,  # "container" draws nothing inside Gradio's plot box
        "data": {"values": values},
        "mark": {"type": "bar", "opacity": 0.45, "binSpacing": 0},
        "encoding": {
            "x": {"field": "from", "type": "quantitative", "bin": {"binned": True, "step": edges[1] - edges[0]},
                  "title": f"length ({unit}; the last bar holds everything longer)"},
            "x2": {"field": "to"},
            "y": {"field": "rows", "type": "quantitative", "stack": None, "title": "rows"},
            "color": {"field": "field", "type": "nominal", "title": "field", "sort": list(counts),
                      "legend": {"orient": "top", "labelLimit": 0}},
            "tooltip": [{"field": "field"}, {"field": "from", "title": "from"}, {"field": "to", "title": "to"},
                        {"field": "rows"}],
        },
    }


def _content(content) -> str:
    """A message's content as text: a string, or the text parts of a multimodal content list."""
    if isinstance(content, list):
        return " ".join(part.get("text", f"[{part.get('type', 'part')}]") if isinstance(part, dict) else str(part)
                        for part in content)
    return "" if content is None else str(content)


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
