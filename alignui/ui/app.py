"""Build the Gradio Blocks app: one tab per step of the flow."""

import gradio as gr

from alignui import settings
from alignui.ui import algorithm_tab, compare_tab, data_tab, evaluate_tab, train_tab

INTRO = """# alignui
Align a language model with your own feedback data: **Data → Algorithm → Train → Compare → Evaluate**.
Start by uploading a file in the Data tab."""

#: The whole loop on the offline demo (a tiny model that often forgets to carry the one), no GPU needed.
FIRST_RUN = """1. **Data**: upload `assets/demo/preference.jsonl` (right vs wrong sums), check the rows, save it as `demo-pairs`.
2. **Algorithm**: pick `demo-pairs` as the dataset: the checklist ranks the algorithms and fills in presets.
3. **Train**: pick the demo recipe **dpo**, click **Load demo recipe**, then **Launch**. It trains the demo model
   on the demo pairs with the settings tuned for it (about two minutes on two CPU cores); watch the
   reward margins and accuracies climb.
4. **Compare**: reference = the demo model, aligned = the finished job; ask `17+25=` and vote.
5. **Feedback**: export your votes and thumbs to the catalog, and continue training on them.
6. **Evaluate**: reference = the demo model, aligned = the finished job, prompt file
   `assets/demo/heldout.jsonl`, judge *verifier*: the win rate and accuracies say whether alignment helped.

From the command line the same loop is `python -m alignui demo run --json`."""


def build_app() -> gr.Blocks:
    # Uploads and files made for download are swept from Gradio's cache once they are old.
    with gr.Blocks(title="alignui", delete_cache=settings.UPLOAD_CACHE_SWEEP) as app:
        gr.Markdown(INTRO)
        with gr.Accordion("First run? Walk the whole loop with the offline demo", open=False):
            gr.Markdown(FIRST_RUN)
        with gr.Tabs():
            with gr.Tab("Data", id="data") as tab:
                data_tab.render(tab)
            with gr.Tab("Algorithm", id="algorithm"):
                algorithm_tab.render()
            with gr.Tab("Train", id="train"):
                train_tab.render()
            with gr.Tab("Compare", id="compare") as tab:
                compare_tab.render(tab)
            with gr.Tab("Evaluate", id="evaluate") as tab:
                evaluate_tab.render(tab)
    return app
