"""The Train tab: launch a background training job, watch it live, cancel, resume, apply the doctor's fix.

Jobs run in their own processes (alignui.train.jobs): closing the page or restarting the app
never stops one, and reopening the page shows it live again. Every listener is an API endpoint
(launch, load_recipe, jobs, job_status, cancel, resume, apply_fix, hardware; start_rounds and
on_policy_runs from the on-policy panel).
"""


import gradio as gr
import pandas as pd

from alignui import model_choices
from alignui.algorithms import ALGORITHMS
from alignui.train import metrics
from alignui.ui import onpolicy_panel, run_form
from alignui.ui.errors import user_errors

JOB_COLUMNS = ["job_id", "status", "algorithm", "model", "dataset", "step", "max_steps", "owner", "created_at"]
#: Seconds between two refreshes of the selected job.
POLL_SECONDS = 2.0
LOG_LINES = 40


def render() -> None:
    gr.Markdown(
        "### Train\nLaunch TRL training as a background job. It keeps running when you close this page; "
        "come back any time to watch it, stop it or resume it."
    )
    hardware = gr.Markdown()
    with gr.Row():
        demo_recipe = gr.Dropdown(demo_recipes(), value="dpo", label="Demo recipe",
                                  info="the offline demo's tuned settings, one per algorithm")
        load_demo = gr.Button("Load demo recipe", size="sm")
        recipe = gr.File(label="Or load a recipe (YAML)", file_types=[".yaml", ".yml"], type="filepath")
    with gr.Row():
        algorithm = gr.Dropdown([(a.title, a.name) for a in ALGORITHMS.values()], value="dpo", label="Algorithm")
        model = gr.Dropdown(choices=model_choices.choices(), value=None, allow_custom_value=True,
                            label="Model", info="the demo, a local or cached model; or type a folder or hub id")
        dataset = gr.Dropdown([], label="Dataset", allow_custom_value=True,
                              info="a saved dataset, or the path of a data file")
    with gr.Accordion("Settings (the same form as the Algorithm tab)", open=True):
        fields = run_form.render("dpo")
    # Shown only when a Ray cluster is configured (ALIGNUI_RAY_ADDRESS); its resources are in `hardware`.
    backend = gr.Radio(["local", "ray"], value="local", label="Run on", visible=False,
                       info="this machine, or the Ray cluster")
    launch_button = gr.Button("Launch", variant="primary")
    launch_message = gr.Markdown()
    form = [algorithm, model, dataset, *fields]
    onpolicy_panel.render(form)

    gr.Markdown("#### Jobs")
    jobs_table = gr.Dataframe(headers=JOB_COLUMNS, interactive=False)
    with gr.Row():
        job_id = gr.Number(label="Job (click a row to pick it)", precision=0)
        refresh = gr.Button("Refresh", size="sm")
        cancel_button = gr.Button("Cancel", variant="stop", size="sm")
    status = gr.Markdown()
    progress = gr.HTML()
    plots = []
    for row in range(0, metrics.SLOTS, 2):
        with gr.Row():
            plots += [chart_plot(chart) for chart in metrics.charts("dpo")[row:row + 2]]
    diagnosis = gr.Markdown()
    apply_button = gr.Button("Apply the doctor's fix as a new job", size="sm", visible=False)
    with gr.Row():
        overrides = gr.Textbox(label="Resume with changed settings (FIELD=VALUE lines, optional)", lines=2)
        resume_button = gr.Button("Resume from the latest checkpoint", size="sm")
    log = gr.Textbox(label="Log (last lines)", lines=12, max_lines=12, autoscroll=True)
    with gr.Accordion("Job details (JSON)", open=False):
        details = gr.JSON(show_label=False)
    timer = gr.Timer(POLL_SECONDS)

    watch = [details, status, progress, *plots, log, diagnosis, apply_button, timer, jobs_table]
    # An old "Job 3 queued" must not stand next to a new error: the message is cleared first.
    launch_button.click(lambda: "", outputs=launch_message, api_visibility="private").then(
        launch, inputs=[*form, backend], outputs=[launch_message, job_id, jobs_table], api_name="launch")
    recipe.upload(load_recipe, inputs=recipe, outputs=form, api_name="load_recipe")
    load_demo.click(load_demo_recipe, inputs=demo_recipe, outputs=form, api_name="load_demo_recipe")
    algorithm.input(algorithm_fields, inputs=[algorithm, *fields], outputs=fields, api_visibility="private")
    refresh.click(list_jobs, outputs=jobs_table, api_name="jobs")
    jobs_table.select(pick_job, outputs=job_id, api_visibility="private")
    gr.on([job_id.change, refresh.click], job_status, inputs=job_id, outputs=watch, api_name="job_status")
    timer.tick(job_status, inputs=job_id, outputs=watch, api_visibility="private")
    cancel_button.click(cancel, inputs=job_id, outputs=[launch_message, jobs_table], api_name="cancel")
    resume_button.click(resume, inputs=[job_id, overrides], outputs=[launch_message, jobs_table],
                        api_name="resume")
    apply_button.click(apply_fix, inputs=job_id, outputs=[launch_message, job_id, jobs_table],
                       api_name="apply_fix")
    gr.on(None, page_load, outputs=[hardware, dataset, jobs_table, job_id, backend], api_name="hardware")
    # Datasets saved in the Data tab since the page loaded appear when the list is opened.
    dataset.focus(saved_dataset_choices, outputs=dataset, api_visibility="private")




def _need_job(job_id) -> int:
    if job_id is None:
        raise gr.Error("Pick a job first: click a row of the jobs table.")
    return int(job_id)


# ----- handlers -----
@user_errors
def launch(algorithm, model, dataset, *values):
    """The form's values in form.NAMES order, then the backend choice."""
    from alignui.train import backends, jobs

    *fields, backend = values
    job = jobs.submit(run_form.spec(algorithm, model, dataset, fields), backend=backends.choose(backend or "local"))
    where = f" on the Ray cluster as `{job['cluster_job_id']}`" if job["cluster_job_id"] else ""
    return (f"Job {job['job_id']} {job['status']}{where}: run folder `{job['run_dir']}`.", job["job_id"],
            list_jobs())


def _filled(spec) -> list:
    from alignui.recipe import form

    return [spec.algorithm, spec.model, spec.dataset, *run_form.updates(spec.algorithm, form.values_from_spec(spec))]


@user_errors
def load_recipe(path):
    from alignui.recipe.recipe_file import read_recipe

    if not path:
        raise gr.Error("Upload a recipe YAML first.")
    return _filled(read_recipe(path))


@user_errors
def load_demo_recipe(name):
    from alignui.demo.align import recipe_path
    from alignui.recipe.recipe_file import read_recipe

    return _filled(read_recipe(recipe_path(name or "dpo")))


def algorithm_fields(algorithm, *values):
    """Show the fields of the newly picked algorithm, keeping what was typed."""
    from alignui.recipe import form

    return run_form.updates(algorithm, dict(zip(form.NAMES, values)))


def demo_recipes() -> list[str]:
    from alignui.demo import paths

    return sorted(path.stem for path in paths().recipes.glob("*.yaml"))


def list_jobs() -> pd.DataFrame:
    from alignui.train import jobs

    return pd.DataFrame(jobs.list_jobs(), columns=JOB_COLUMNS)


def pick_job(event: gr.SelectData):
    return event.row_value[0]


@user_errors
def job_status(job_id):
    """Everything the page shows about one job, and the jobs table; the timer stops once the job has ended."""
    from alignui.train import doctor, jobs

    if job_id is None:
        return ({}, "", "", *[gr.LinePlot(value=None)] * metrics.SLOTS, "", "", gr.Button(visible=False),
                gr.Timer(active=False), list_jobs())
    jobs.reconcile_job(int(job_id))  # a supervisor that died shows as such at this very poll
    job = jobs.show(int(job_id))
    records = job.pop("metrics")
    active = job["status"] in jobs.ACTIVE
    charts = metrics.charts(job["algorithm"])
    plots = [chart_plot(charts[i], records, active) if i < len(charts) else gr.LinePlot(value=None, visible=False)
             for i in range(metrics.SLOTS)]
    found = doctor.diagnose_job(job["job_id"]) if records else []
    return (job, status_markdown(job), progress_html(job), *plots, jobs.log_tail(job["job_id"], LOG_LINES),
            diagnosis_markdown(found), gr.Button(visible=bool(found)), gr.Timer(active=active), list_jobs())


@user_errors
def cancel(job_id):
    from alignui.train import jobs

    job = jobs.cancel(_need_job(job_id))
    return f"Job {job['job_id']} cancelled; none of its processes is left.", list_jobs()


@user_errors
def resume(job_id, overrides):
    from alignui.recipe import assignments
    from alignui.train import jobs

    job = jobs.resume(_need_job(job_id), assignments.parse_assignments((overrides or "").splitlines()))
    return f"Job {job['job_id']} resumes from step {job['resumed_from_step']}.", list_jobs()


@user_errors
def apply_fix(job_id):
    from alignui.train import doctor

    job = doctor.apply(_need_job(job_id))
    return f"Job {job['job_id']} queued with the doctor's fix.", job["job_id"], list_jobs()


def saved_dataset_choices():
    from alignui.data import catalog

    return gr.update(choices=[entry.name for entry in catalog.list_entries()])


def page_load():
    """Hardware (and the Ray cluster, when one is configured), saved datasets and jobs; the newest job
    is picked, so a reopened page shows it live."""
    from alignui import hardware
    from alignui.data import catalog
    from alignui.train import backends

    names = [entry.name for entry in catalog.list_entries()]
    table = list_jobs()
    newest = int(table["job_id"].iloc[0]) if len(table) else None
    address = backends.ray_address()
    return (hardware.describe() + (f"\n\n{cluster_markdown(address)}" if address else ""),
            gr.Dropdown(choices=names), table, newest, gr.Radio(visible=bool(address), value=backends.default_name()))


def cluster_markdown(address: str) -> str:
    """The configured Ray cluster's nodes, CPUs and GPUs, or why they cannot be read."""
    from alignui.errors import AlignUIError
    from alignui.train.backends import ray

    try:
        found = ray.cluster_info(address)
    except AlignUIError as error:
        return f"Ray cluster: {error}"
    return (f"Ray cluster at `{found['address']}`: {found['nodes']} node(s), {found['cpus']:g} CPUs, "
            f"{found['gpus']:g} GPUs.")


# ----- presentation -----
def chart_plot(chart, records: list[dict] | None = None, active: bool = True) -> gr.LinePlot:
    """A chart's line plot: short series names under a legend title, and what good looks like."""
    frame = plot_frame(records or [], chart.series)
    caption = chart.good
    if records is not None and frame["value"].isna().all():
        caption = ("Nothing logged yet: the trainer writes these every logging_steps steps. " if active else
                   "This run logged none of these values. ") + caption
    # No fixed height: Gradio clips a fixed-height chart's legend and caption away.
    return gr.LinePlot(value=frame if records is not None else None, x="step", y="value", color="series",
                       color_title=chart.legend, label=chart.title, caption=caption, visible=True,
                       y_title=chart.title, x_title="step", y_axis_format=chart.y_format)


def plot_frame(records: list[dict], series: dict[str, str]) -> pd.DataFrame:
    """One plot's points, led by an empty (NaN) point for every series it may show.

    The chart keeps the series and axis types of the first data it draws: without the leading
    points, a series that appears later (eval loss) would never be drawn, and an empty first
    frame would turn the axes into categories.
    """
    points = metrics.long_table(records, series)
    start = min((p["step"] for p in points), default=0)
    seeds = [{"step": start, "value": float("nan"), "series": name} for name in series.values()]
    frame = pd.DataFrame(seeds + points, columns=["step", "value", "series"])
    return frame.astype({"step": "int64", "value": "float64", "series": "str"})


def status_markdown(job: dict) -> str:
    lines = [(f"**Job {job['job_id']}** · `{job['status']}` · {job['algorithm']} on `{job['model']}` · "
              f"data `{job['dataset']}`")]
    if job["cluster_job_id"]:
        lines.append(f"On the Ray cluster as `{job['cluster_job_id']}`.")
    if job["queue_position"]:
        lines.append(f"Waiting for {job['queue_position']} job(s) on the same GPUs to finish.")
    if job["world_size"]:
        lines.append(f"{job['world_size']} process(es)" + (
            f" · resumed from step {job['resumed_from_step']}" if job["resumed_from_step"] is not None else ""))
    if job["status"] == "succeeded":
        lines.append(f"Model saved in `{job['output_dir']}`: load it in the Compare tab.")
    if job["error"]:
        lines.append(f"**Error:**\n```\n{job['error']}\n```")
    return "\n\n".join(lines)


def progress_html(job: dict) -> str:
    step, total = job["step"] or 0, job["max_steps"] or 0
    if not total:
        return ""
    eta = job["eta_seconds"]
    eta_text = f" · about {_duration(eta)} left" if eta is not None else ""
    return (f'<progress value="{step}" max="{total}" style="width:100%"></progress>'
            f"<div>step {step} of {total} ({100 * step // total}%){eta_text}</div>")


def diagnosis_markdown(found) -> str:
    if not found:
        return ""
    parts = []
    for d in found:
        steps = "\n".join(f"{n}. {s}" for n, s in enumerate(d.steps, start=1))
        switch = f", switch to {d.algorithm.upper()}" if d.algorithm else ""
        parts.append(f"#### 🩺 {d.title}\n{d.evidence}.\n\n{steps}\n\n"
                     f"**Fix:** `{d.changes}`{switch}" + (", from the best checkpoint" if d.from_best else ""))
    return "\n\n".join(parts)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


