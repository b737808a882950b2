"""How the Data tab shows rows and lengths: conversations as text, lengths as overlaid histogram bars."""

from alignui.data import display


def test_conversations_read_as_role_and_content_lines_trimmed():
    rows = [{"row": 1, "prompt": [{"role": "system", "content": "Be brief."},
                                  {"role": "user", "content": "What is\n2 + 2?"}],
             "chosen": [{"role": "assistant", "content": "4" * 500}], "score": 0.5}]
    columns, table = display.preview_rows(rows)
    assert columns == ["row", "prompt", "chosen", "score"]
    assert table[0][1] == "system: Be brief.\nuser: What is 2 + 2?"
    assert table[0][2].startswith("assistant: 444") and table[0][2].endswith("…")
    assert len(table[0][2]) <= display.MESSAGE_CHARS + len("assistant: ")
    assert (table[0][0], table[0][3]) == (1, 0.5)
    assert display.cell_text([{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image"}]}]) \
        == "user: hi [image]"


def test_the_length_histogram_overlays_translucent_bars_on_shared_bins():
    spec = display.length_histogram_spec({"edges": [0, 10, 20], "counts": {"chosen": [3, 1], "rejected": [0, 4]}})
    assert spec["mark"] == {"type": "bar", "opacity": 0.45, "binSpacing": 0}
    assert spec["encoding"]["y"]["stack"] is None  # overlaid, so rejected cannot hide chosen
    assert spec["data"]["values"][1] == {"from": 10, "to": 20, "rows": 1, "field": "chosen"}
    assert spec["encoding"]["color"]["legend"]["labelLimit"] == 0  # legend labels never clipped
    assert display.length_histogram_spec({"edges": [], "counts": {}}) is None
