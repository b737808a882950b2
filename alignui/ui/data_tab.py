"""The Data tab: upload a file, see what it is and what is wrong with it, convert it, save it by name.

Every listener is an API endpoint (inspect, convert, save_dataset, list_datasets), so the tab can be
driven with gradio_client exactly as a person drives it in the browser.
"""

import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from alignui.algorithms import DATASET_TYPES
from alignui.data.convert import ConversionOptions
from alignui.evaluate.pair_filter import DEFAULT_MIN_MARGIN
from alignui.ui.errors import user_errors

DEFAULTS = ConversionOptions()

#: Rows of the errors table; the full list is in the report JSON.
SHOWN_ERRORS = 1000
FILE_TYPES = [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"]
CATALOG_COLUMNS = ["name", "type", "style", "rows", "created_at", "source"]
LENGTHS_GOOD = ("*Lengths:* chosen and rejected bars should overlap. If chosen answers are mostly longer, "
                "the model can learn that longer is better instead of what you prefer.")


def render(tab: gr.Tab) -> None:
    """The tab's components and listeners; opening `tab` refreshes the saved datasets."""
    gr.Markdown(
        "### Data\nDrop the feedback your team collected: JSONL, JSON, CSV/TSV or Parquet. alignui tells "
        "its type in TRL's terms, checks every row, and can convert it and save it for training."
    )
    with gr.Row():
        upload = gr.File(label="Data file", file_types=FILE_TYPES, type="filepath")
        with gr.Column():
            summary = gr.Markdown()
            tokenizer = gr.Textbox(label="Tokenizer folder (optional)", placeholder="a model folder",
                                   info="Adds token lengths; press Enter to re-inspect.")
    warnings = gr.Markdown()
    errors = gr.Dataframe(headers=["row", "message"], label="Rows that will be skipped", interactive=False)
    with gr.Row():
        lengths = gr.Plot(label="Length distribution (characters)")
        balance = gr.BarPlot(x="label", y="rows", y_lim=[0, None], label="Label balance", visible=False)
    gr.Markdown(LENGTHS_GOOD)
    preview = gr.Dataframe(label="Preview (normalised rows; conversations as role: content)",
                           interactive=False, wrap=True)
    with gr.Accordion("Full report (JSON)", open=False):
        report = gr.JSON(show_label=False)

    gr.Markdown("#### Convert and save")
    with gr.Row():
        target = gr.Dropdown(choices=list(DATASET_TYPES), value=None, label="Convert to",
                             info="Leave empty to keep the type.")
        chosen_min = gr.Number(value=DEFAULTS.chosen_min, label="Chosen rating at least (ratings → preference)")
        rejected_max = gr.Number(value=DEFAULTS.rejected_max, label="Rejected rating at most (ratings → preference)")
        threshold = gr.Number(value=DEFAULTS.threshold, label="Desirable from rating (ratings → unpaired)")
        validation = gr.Slider(0, 0.5, value=0, step=0.01, label="Validation split (download only)")
    with gr.Row():
        convert_button = gr.Button("Convert and download")
        name = gr.Textbox(label="Save as", placeholder="my-dataset")
        overwrite = gr.Checkbox(label="Replace a saved dataset of that name")
        save_button = gr.Button("Save to catalog", variant="primary")
    message = gr.Markdown()
    converted = gr.File(label="Converted JSONL", file_count="multiple", interactive=False)

    with gr.Accordion("Filter pairs by reward margin", open=False):
        gr.Markdown("A reward model scores chosen and rejected of every pair; pairs whose margin "
                    "score(chosen) - score(rejected) falls below the minimum are dropped, the rest saved.")
        with gr.Row():
            reward_model = gr.Textbox(label="Reward model", placeholder="a reward job id, or a model folder")
            min_margin = gr.Number(value=DEFAULT_MIN_MARGIN, label="Minimum margin")
            filtered_name = gr.Textbox(label="Save kept pairs as", placeholder="my-pairs-filtered")
            filter_button = gr.Button("Filter and save")
        filter_message = gr.Markdown()
        margins_plot = gr.BarPlot(x="margin", y="pairs", y_lim=[0, None], label="Margin histogram",
                                  x_title="margin (bin start)", sort=None)

    gr.Markdown("#### Saved datasets\nThe Train tab picks its dataset from this list.")
    catalog_table = gr.Dataframe(headers=CATALOG_COLUMNS, interactive=False)
    refresh = gr.Button("Refresh list", size="sm")

    options = [chosen_min, rejected_max, threshold]
    inspected = [summary, errors, warnings, lengths, balance, preview, report]
    gr.on([upload.upload, tokenizer.submit], inspect, inputs=[upload, tokenizer], outputs=inspected,
          api_name="inspect")
    upload.clear(lambda: ("", None, "", None, gr.update(visible=False), None, None), outputs=inspected,
                 api_visibility="private")
    convert_button.click(convert, inputs=[upload, target, *options, validation],
                         outputs=[converted, message], api_name="convert")
    save_button.click(save, inputs=[upload, name, target, *options, overwrite],
                      outputs=[message, catalog_table], api_name="save_dataset")
    refresh.click(list_datasets, outputs=catalog_table, api_name="list_datasets")
    filter_button.click(filter_pairs, inputs=[upload, reward_model, min_margin, filtered_name, overwrite],
                        outputs=[filter_message, margins_plot, catalog_table], api_name="filter_pairs")
    # On page load and on opening the tab: datasets exported from the Compare tab appear.
    for triggers in (None, [tab.select]):
        gr.on(triggers, list_datasets, outputs=catalog_table, api_visibility="private")




def _need_file(path) -> str:
    if not path:
        raise gr.Error("Upload a data file first.")
    return path


@user_errors
def inspect(path, tokenizer):
    from alignui.data.report import inspect_file
    from alignui.paths import allowed_path

    found = inspect_file(_need_file(path), tokenizer=allowed_path(tokenizer, "tokenizer") or None)
    table = pd.DataFrame(found.errors[:SHOWN_ERRORS], columns=["row", "message"])
    return (
        summary_markdown(found),
        table,
        "\n".join(f"- ⚠️ {w}" for w in found.warnings),
        lengths_plot(found.stats),
        balance_plot(found.stats),
        preview_frame(found.preview),
        # Without "path": gradio_client would take a dict with a "path" key for a file to download.
        {k: v for k, v in found.to_dict().items() if k != "path"},
    )


def summary_markdown(found) -> str:
    prompt = " · prompts extracted from chosen/rejected" if found.implicit_prompt else ""
    lines = [
        f"**Type:** `{found.type}` · **Style:** `{found.style}`{prompt}",
        f"**Rows:** {found.rows} read · **{found.valid_rows} valid** · {len(found.errors)} skipped",
        f"**Trains with:** {', '.join(found.algorithms) or 'no algorithm as it is; convert it first'}",
        f"**Converts to:** {', '.join(found.conversions)}",
    ]
    if found.columns:
        lines.append("**Renamed:** " + ", ".join(f"`{raw}` → `{field}`" for raw, field in found.columns.items()))
    if found.valid_rows == 0:
        lines.append("**No row can be used:** fix the errors below and upload again.")
    if len(found.errors) > SHOWN_ERRORS:
        lines.append(f"The table shows the first {SHOWN_ERRORS} errors; the full report lists all.")
    return "\n\n".join(lines)


def lengths_plot(stats: dict):
    """The length histogram as a Vega-Lite chart (overlaid translucent bars), or nothing."""
    import json

    from gradio.components.plot import PlotData

    from alignui.data.display import length_histogram_spec

    spec = length_histogram_spec(stats.get("length_histogram", {}))
    return PlotData(type="altair", plot=json.dumps(spec)) if spec else None


def preview_frame(rows: list[dict]) -> pd.DataFrame:
    from alignui.data.display import preview_rows

    columns, table = preview_rows(rows)
    return pd.DataFrame(table, columns=columns)


def balance_plot(stats: dict):
    if "label_balance" in stats:
        balance = stats["label_balance"]
        frame = pd.DataFrame({"label": ["desirable", "undesirable"],
                              "rows": [balance["desirable"], balance["undesirable"]]})
        return gr.update(value=frame, visible=True, label="Label balance", x_title="label",
                         caption="Good: desirable to undesirable between 1:1 and 4:1 (KTO's advice); beyond "
                                 "that, raise undesirable_weight.")
    if "ratings" in stats:
        frame = pd.DataFrame({"label": list(stats["ratings"]), "rows": list(stats["ratings"].values())})
        return gr.update(value=frame, visible=True, label="Ratings given", x_title="rating",
                         caption="Good: both high and low ratings: pairs need a well-rated and a poorly-rated "
                                 "answer to the same prompt.")
    return gr.update(visible=False)


@user_errors
def convert(path, to, chosen_min, rejected_max, threshold, validation):
    from alignui.data.jsonl import convert_file

    path = _need_file(path)
    if not to:
        raise gr.Error("Pick a type to convert to.")
    out = Path(tempfile.mkdtemp(prefix="alignui-convert-")) / f"{Path(path).stem}.{to}.jsonl"
    done = convert_file(path, to, out, _options(chosen_min, rejected_max, threshold), float(validation or 0))
    files = [done.out] + ([done.validation_out] if done.validation_out else [])
    text = f"Converted to **{done.type}**: {done.rows} rows"
    if done.validation_out:
        text += f", plus {done.validation_rows} validation rows"
    notes = ([f"{done.invalid_records} invalid records left out."] if done.invalid_records else []) + done.notes
    return files, "\n\n".join([text + "."] + notes)


@user_errors
def save(path, name, to, chosen_min, rejected_max, threshold, overwrite):
    from alignui.data import catalog

    path = _need_file(path)
    entry = catalog.save(path, name, to=to or None, options=_options(chosen_min, rejected_max, threshold),
                         overwrite=bool(overwrite), source=f"upload: {Path(path).name}")
    notes = "".join(f"\n\n{note}" for note in entry.stats.get("notes", []))
    return (f"Saved **{entry.name}**: {entry.rows} {entry.type} rows ({entry.style}).{notes}",
            list_datasets())


@user_errors
def filter_pairs(path, reward_model, min_margin, name, overwrite):
    from alignui.evaluate import pair_filter
    from alignui.paths import allowed_path

    reward_model = allowed_path(reward_model, "reward model")
    if not reward_model:
        raise gr.Error("Give the reward model: a finished reward job's id or a model folder.")
    if not (name or "").strip():
        raise gr.Error("Give a name to save the kept pairs under.")
    done = pair_filter.filter_pairs(_need_file(path), reward_model, float(min_margin), save_as=name.strip(),
                                    overwrite=bool(overwrite))
    frame = pd.DataFrame([{"margin": round(b["low"], 3), "pairs": b["count"]} for b in done.histogram],
                         columns=["margin", "pairs"])
    text = (f"Kept **{done.kept}** pairs, dropped **{done.dropped}** (margin below {done.min_margin:g}; "
            f"mean margin {done.mean_margin:.3g}). Saved as **{done.name}**.")
    return text, frame, list_datasets()


def list_datasets() -> pd.DataFrame:
    from alignui.data import catalog

    rows = [{column: getattr(e, column) for column in CATALOG_COLUMNS} for e in catalog.list_entries()]
    return pd.DataFrame(rows, columns=CATALOG_COLUMNS)


def _options(chosen_min, rejected_max, threshold):
    from alignui.data.convert import ConversionOptions

    return ConversionOptions(chosen_min=float(chosen_min), rejected_max=float(rejected_max),
                             threshold=float(threshold))
