"""On-policy rounds from the Train tab: the form's recipe, a prompt file and a judge, no preference file.

"Start on-policy rounds" runs `python -m alignui iterate` in the background (alignui.iterate.start)
with the settings the form above holds; each round is a job in the jobs table, and the rounds'
measures plot in the Evaluate tab's "On-policy rounds". Endpoints: start_rounds, on_policy_runs.
"""

import gradio as gr

from alignui.ui import run_form
from alignui.ui.errors import user_errors
from alignui.ui.judge_choice import JUDGES, judge_name

RUN_COLUMNS = ["run", "status", "rounds done", "latest measure", "final model", "error"]


def render(form: list) -> None:
    """The panel, under the form whose values (algorithm, model, dataset, fields) make the recipe."""
    with gr.Accordion("On-policy rounds: from prompts and a judge, no preference file", open=False):
        gr.Markdown(
            "Each round samples several answers per prompt from the current model, scores them with the judge, "
            "pairs each prompt's best answer against its worst and trains one job with the settings above "
            "(DPO, IPO, SimPO or ORPO; the Dataset box is not used: the rounds make their own). A share of the "
            "prompts is held out and measured after every round.")
        with gr.Row():
            prompts = gr.File(label="Prompt file: a prompt column and, for the verifier, an answer column",
                              file_types=[".jsonl", ".json", ".csv", ".tsv", ".parquet"], type="filepath",
                              elem_id="onpolicy-prompts")
            with gr.Column():
                judge = gr.Radio(JUDGES, value="verifier", label="Judge")
                judge_model = gr.Textbox(label="Reward model or judge model", placeholder="job id or model folder")
            with gr.Column():
                rounds = gr.Number(2, label="Rounds", precision=0, minimum=1, maximum=20)
                samples = gr.Number(4, label="Answers per prompt", precision=0, minimum=2, maximum=16)
        start = gr.Button("Start on-policy rounds", variant="primary")
        message = gr.Markdown()
        runs = gr.Dataframe(headers=RUN_COLUMNS, interactive=False, label="On-policy runs", elem_id="onpolicy-runs")
        refresh = gr.Button("Refresh runs", size="sm")
    start.click(start_rounds, inputs=[*form, prompts, judge, judge_model, rounds, samples], outputs=[message, runs],
                api_name="start_rounds")
    refresh.click(on_policy_runs, outputs=runs, api_name="on_policy_runs")
    gr.on(None, on_policy_runs, outputs=runs, api_visibility="private")  # on page load


@user_errors
def start_rounds(algorithm, model, dataset, *values):
    """The form's values in form.NAMES order, then the prompt file, judge, judge model, rounds and samples."""
    from alignui import iterate

    *fields, prompts, judge, judge_model, rounds, samples = values
    if not prompts:
        raise gr.Error("Upload a prompt file first: the rounds sample answers to its prompts.")
    judge = judge_name(judge, judge_model)
    recipe = run_form.spec(algorithm, model, dataset, fields)  # each round replaces its dataset
    config = iterate.IterateSettings(recipe="", prompts=prompts, judge=judge, rounds=int(rounds or 0),
                                     samples=int(samples or 0))
    started = iterate.start(config, recipe=recipe)
    return (f"On-policy run {started['iteration_id']} started: its rounds appear as jobs below and, measured, in "
            f"the Evaluate tab's On-policy rounds. Log: `{started['log']}`.", on_policy_runs())


def on_policy_runs():
    """Every on-policy run, newest first: how far it got and, if it failed, why."""
    import pandas as pd

    from alignui import iterate

    rows = []
    for found in iterate.list_runs():
        latest = found["rounds"][-1] if found["rounds"] else found["baseline"]
        measure = next((f"{key} {latest[key]}" for key in ("heldout_accuracy", "win_rate") if key in latest), "")
        rows.append([found["id"], found["status"], len(found["rounds"]), measure, found["final_model"] or "",
                     found["error"] or ""])
    return pd.DataFrame(rows, columns=RUN_COLUMNS)
