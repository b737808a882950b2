"""Build the Gradio Blocks app: one tab per step of the flow."""

import gradio as gr

from alignui.ui import algorithm_tab, compare_tab, data_tab, evaluate_tab, train_tab

INTRO = """# alignui
Align a language model with your own feedback data: **Data → Algorithm → Train → Compare → Evaluate**.
Start by uploading a file in the Data tab."""


def build_app() -> gr.Blocks:
    with gr.Blocks(title="alignui") as app:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Data", id="data"):
                data_tab.render()
            with gr.Tab("Algorithm", id="algorithm"):
                algorithm_tab.render()
            with gr.Tab("Train", id="train"):
                train_tab.render()
            with gr.Tab("Compare", id="compare"):
                compare_tab.render()
            with gr.Tab("Evaluate", id="evaluate"):
                evaluate_tab.render()
    return app
