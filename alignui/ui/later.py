"""A tab whose back end is not built yet says so plainly, with no buttons that pretend to work."""

import gradio as gr


def render(step: str, what: str) -> None:
    gr.Markdown(
        f"### {step}\n\n{what}\n\n"
        "_This step is not available in this version of alignui yet._ "
        "Nothing here runs; the Data and Algorithm tabs work today."
    )
