"""The Evaluate tab: the aligned model's win rate against the reference, with its history.

Listeners are API endpoints (evaluate, evaluation_history, show_evaluation, list_prompt_sets, rater_agreement).
"""

import gradio as gr

from alignui.evaluate.judges import DEFAULT_TEMPLATE
from alignui.ui import judge_choice
from alignui.ui.compare_tab import list_models, model_picker, user_errors

JUDGES = [*judge_choice.JUDGES, ("Human votes from the Compare tab", "votes")]
HISTORY_COLUMNS = ["id", "when", "aligned", "reference", "judge", "prompts", "wins / ties / losses",
                   "win rate (95% CI)", "accuracy: reference → aligned", "owner"]
AGREEMENT_COLUMNS = ["rater_a", "rater_b", "pairs", "agreed", "agreement"]
ROUND_COLUMNS = ["run", "round", "metric", "value", "job_id", "pairs"]
LEADERBOARD_COLUMNS = ["model", "rating", "ci_low", "ci_high", "battles"]
TABLE_COLUMNS = ["prompt", "expected", "reference_answer", "aligned_answer", "reference_score",
                 "aligned_score", "outcome"]


def render(tab: gr.Tab) -> None:
    """The tab's components and listeners; opening `tab` refreshes the pickers and the history."""
    from alignui.arena.generate import MAX_NEW_TOKENS
    from alignui.data.split import DEFAULT_FRACTION as HELD_OUT_FRACTION
    from alignui.data.split import DEFAULT_SEED as HELD_OUT_SEED

    gr.Markdown(
        "### Evaluate\nBoth models answer every prompt (greedy decoding, so a run can be repeated); "
        "a judge picks the better answer. The win rate counts a tie as half a win and comes with a "
        "95% confidence interval. Mean answer lengths show whether a judge favours longer answers."
    )
    with gr.Row():
        reference = model_picker("Reference model")
        aligned = model_picker("Aligned model")
        refresh = gr.Button("Refresh", size="sm", scale=0)
    with gr.Row():
        prompt_file = gr.File(label="Prompt file: a prompt column and, for the verifier, an answer column",
                              file_types=[".jsonl", ".json", ".csv", ".tsv", ".parquet"], type="filepath")
        with gr.Column():
            dataset = gr.Dropdown(choices=[], value=None, label="…or a saved dataset's held-out split")
            held_out = gr.Slider(0.01, 0.5, value=HELD_OUT_FRACTION, step=0.01,
                                 label=f"Held-out share (as in training; seed {HELD_OUT_SEED})")
    with gr.Row():
        judge = gr.Radio(JUDGES, value="verifier", label="Judge")
        reward_model = gr.Textbox(label="Reward model or judge model", placeholder="job id or model folder")
        max_new_tokens = gr.Slider(1, MAX_NEW_TOKENS, value=min(256, MAX_NEW_TOKENS), step=1,
                                   label="Max new tokens")
    with gr.Accordion("LLM judge prompt", open=False):
        template = gr.Textbox(value=DEFAULT_TEMPLATE, lines=8, show_label=False,
                              info="Keep {question}, {answer_a} and {answer_b}. Each pair is read twice, "
                                   "answers swapped; the verdict stands only when both readings agree.")
    run = gr.Button("Run evaluation", variant="primary")
    summary = gr.Markdown()
    chart = gr.BarPlot(x="outcome", y="prompts", label="Aligned model against the reference",
                       sort=["win", "tie", "loss"],
                       caption="Good: more wins than losses, with the interval's low end above 50%. Mostly "
                               "ties means both models answer alike: training changed little.")
    per_prompt = gr.Dataframe(headers=TABLE_COLUMNS, label="Per prompt", interactive=False, wrap=True)
    gr.Markdown("#### History")
    history = gr.Dataframe(headers=HISTORY_COLUMNS, interactive=False, wrap=True)
    with gr.Row():
        report_id = gr.Number(label="Show evaluation", precision=0)
        show = gr.Button("Show", size="sm")

    with gr.Accordion("Agreement between raters (pairs judged by more than one person)", open=False):
        agreement_button = gr.Button("Compute", size="sm")
        agreement_summary = gr.Markdown()
        agreement_table = gr.Dataframe(headers=AGREEMENT_COLUMNS, interactive=False)

    gr.Markdown("#### Leaderboard\nEvery model that met another in an arena vote or an evaluation, "
                "rated by a Bradley-Terry fit (Elo-like: 1000 + 400 × log10 strength) with bootstrap "
                "95% intervals; a tie or both-bad vote counts half.")
    ranking = gr.Dataframe(headers=LEADERBOARD_COLUMNS, interactive=False, elem_id="leaderboard")
    rank_button = gr.Button("Refresh leaderboard", size="sm")
    rank_button.click(leaderboard, outputs=ranking, api_name="leaderboard")

    gr.Markdown("#### On-policy rounds\nRuns of `python -m alignui iterate`: held-out accuracy (verifier) or "
                "win rate against the starting model (other judges) after each round; round 0 is the start.")
    rounds_plot = gr.LinePlot(x="round", y="value", color="run", label="Held-out measure by round")
    rounds_table = gr.Dataframe(headers=ROUND_COLUMNS, interactive=False)
    rounds_button = gr.Button("Refresh rounds", size="sm")
    rounds_button.click(on_policy_rounds, outputs=[rounds_plot, rounds_table], api_name="on_policy_rounds")

    report_outputs = [summary, chart, per_prompt]
    agreement_button.click(rater_agreement, outputs=[agreement_summary, agreement_table], api_name="rater_agreement")
    evaluated = run.click(evaluate, inputs=[reference, aligned, prompt_file, dataset, held_out, judge, reward_model,
                                            max_new_tokens, template], outputs=[*report_outputs, history],
                          api_name="evaluate")
    evaluated.success(current_leaderboard, outputs=ranking, api_visibility="private")
    show.click(show_evaluation, inputs=report_id, outputs=report_outputs, api_name="show_evaluation")
    refresh.click(list_models, outputs=[reference, aligned], api_visibility="private")
    refresh.click(list_prompt_sets, outputs=[dataset, history], api_name="list_prompt_sets")
    # On page load and on opening the tab (or a picker): new jobs, datasets and evaluations appear.
    for triggers in (None, [tab.select, reference.focus, aligned.focus]):
        gr.on(triggers, list_models, outputs=[reference, aligned], api_visibility="private")
    for triggers in (None, [tab.select, dataset.focus]):
        gr.on(triggers, list_prompt_sets, outputs=[dataset, history], api_visibility="private")
    for triggers in (None, [tab.select]):  # and the leaderboard and rounds follow new evaluations and runs
        gr.on(triggers, current_leaderboard, outputs=ranking, api_visibility="private")
        gr.on(triggers, on_policy_rounds, outputs=[rounds_plot, rounds_table], api_visibility="private")


@user_errors
def evaluate(reference, aligned, prompt_file, dataset, held_out, judge, reward_model, max_new_tokens,
             template=DEFAULT_TEMPLATE, progress=gr.Progress()):
    from alignui.evaluate import run
    from alignui.paths import allowed_path

    reference, aligned = allowed_path(reference, "model"), allowed_path(aligned, "model")
    if judge == "votes":
        report = run.votes_report(reference, aligned)
    else:
        if prompt_file:
            items, source = run.read_prompts(prompt_file), prompt_file
        elif dataset:
            items, source = run.held_out_prompts(dataset, float(held_out)), f"{dataset} (held out)"
        else:
            raise gr.Error("Upload a prompt file or pick a saved dataset.")
        report = run.evaluate(reference, aligned, items, judge_choice.judge_name(judge, reward_model), int(max_new_tokens), source,
                              progress=lambda done, total: progress((done, total), desc="Generating"),
                              judge_template=template if judge == "llm" else None)
    return *report_view(report), history_frame()


@user_errors
def show_evaluation(report_id):
    from alignui.evaluate import run

    if report_id is None:
        raise gr.Error("Type the id of an evaluation from the history.")
    return report_view(run.get(int(report_id)))


def rater_agreement():
    import pandas as pd

    from alignui.people import agreement

    found = agreement.report()
    pooled = found["overall"]
    text = (f"**{pooled['agreement']:.0%}** agreement over {pooled['pairs']} pairs judged by two raters."
            if pooled["pairs"] else "No pair of answers has been judged by two raters yet.")
    return text, pd.DataFrame(found["raters"], columns=AGREEMENT_COLUMNS)


def list_prompt_sets():
    from alignui.data import catalog

    names = [entry.name for entry in catalog.list_entries()]
    return gr.update(choices=names), history_frame()


def report_view(report: dict):
    import pandas as pd

    lines = [
        f"**Evaluation {report['id']}** · {label(report['aligned'])} against {label(report['reference'])} · "
        f"judge `{report['judge']}` · {report['n']} prompts",
        f"**Win rate {report['win_rate']:.1%}** (95% CI {report['ci_low']:.1%} – {report['ci_high']:.1%}): "
        f"{report['wins']} wins, {report['ties']} ties, {report['losses']} losses",
        f"Mean answer length (characters): reference {report['mean_length_reference']:.0f}, "
        f"aligned {report['mean_length_aligned']:.0f}",
    ]
    if "aligned_accuracy" in report:
        lines.append(f"Accuracy: reference {report['reference_accuracy']:.1%}, "
                     f"aligned {report['aligned_accuracy']:.1%}")
    chart = pd.DataFrame({"outcome": ["win", "tie", "loss"],
                          "prompts": [report["wins"], report["ties"], report["losses"]]})
    table = pd.DataFrame(report["per_prompt"], columns=TABLE_COLUMNS)
    return "\n\n".join(lines), chart, table


def label(model: str) -> str:
    """A stored model id as the pickers name it: "job 2 · dpo", "demo/model"; the id if it is gone."""
    from alignui.arena.models import resolve
    from alignui.errors import AlignUIError

    try:
        return resolve(model).label
    except AlignUIError:
        return model


def history_frame():
    import pandas as pd

    from alignui.evaluate import run

    return pd.DataFrame([history_row(report) for report in run.history()], columns=HISTORY_COLUMNS)


def history_row(report: dict) -> list:
    """One evaluation as people read it: percentages, the whole interval, and accuracy when measured."""
    accuracy = ""
    if report.get("aligned_accuracy") is not None:
        accuracy = f"{report['reference_accuracy']:.1%} → {report['aligned_accuracy']:.1%}"
    return [report["id"], (report["created_at"] or "")[:16].replace("T", " "), label(report["aligned"]),
            label(report["reference"]), report["judge"], report["n"],
            f"{report['wins']} / {report['ties']} / {report['losses']}",
            f"{report['win_rate']:.1%} ({report['ci_low']:.1%} – {report['ci_high']:.1%})", accuracy,
            report.get("owner") or ""]



@user_errors
def leaderboard():
    table = current_leaderboard()
    if table.empty:
        raise gr.Error("No model has met another yet: vote in the Compare tab or run an evaluation.")
    return table


def current_leaderboard():
    """The leaderboard's table, best first, models named as the pickers name them; empty while no model
    has met another (shown without asking)."""
    import pandas as pd

    from alignui.evaluate.leaderboard import leaderboard as fit

    rows = [{**found, "model": label(found["model"])} for found in fit()["models"]]
    return pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS)


def on_policy_rounds():
    import pandas as pd

    from alignui.iterate import by_round

    table = pd.DataFrame(by_round(), columns=ROUND_COLUMNS)
    return table[["run", "round", "value"]], table
