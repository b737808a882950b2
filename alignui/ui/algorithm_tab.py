"""The Algorithm tab: the checklist's questions, the ranked answer, and the hyperparameter studio.

Every handler is a thin call into alignui.advisor; user errors become gr.Error.
"""

import tempfile
from pathlib import Path

import gradio as gr

from alignui.advisor import checklist, memory, plots
from alignui.advisor.advice import Advice
from alignui.advisor.checklist import GOALS, Situation
from alignui.advisor.dataset_facts import dataset_facts as read_dataset_facts
from alignui.advisor.dataset_facts import saved_datasets
from alignui.algorithms import ALGORITHMS, DATASET_TYPES
from alignui.paths import allowed_path
from alignui.recipe import form, recipe_file, trl_export
from alignui.recipe.validate import review
from alignui.ui import run_form
from alignui.ui.errors import user_errors

INTRO = """### Which algorithm?
Answer the checklist's questions (most are filled in from your dataset, model and GPUs), get the
algorithms ranked with the reasons, then tune the preset hyperparameters and save the recipe."""




def _number(value) -> float | None:
    """Model size or GPU memory; a browser sends an emptied number box as 0, which means unknown."""
    return None if value in (None, "") or float(value) == 0 else float(value)


def _situation(data_type, labels, size, has_sft, gpu_memory, gpu_count, goals) -> Situation:
    return Situation(
        data_type=data_type, gpu_memory_gb=_number(gpu_memory), gpu_count=int(gpu_count or 1),
        model_size_b=_number(size), has_sft=bool(has_sft), label_counts=checklist.parse_label_counts(labels),
        **{goal: True for goal in goals or []},
    )


def _advice_markdown(advice: Advice) -> str:
    lines = []
    for rank, rec in enumerate(advice.recommendations, 1):
        memory_note = f" — memory {rec.memory.verdict}" if rec.memory else ""
        lines.append(f"**{rank}. {ALGORITHMS[rec.algorithm].title}**{memory_note}")
        lines += [f"- {reason}" for reason in rec.reasons]
        lines += [f"- ⚠ {caution}" for caution in rec.cautions]
        lines.append("")
    if advice.not_recommended:
        lines.append("**Not recommended**")
        lines += [f"- {ALGORITHMS[r.algorithm].title}: {r.why}" for r in advice.not_recommended]
    return "\n".join(lines)


@user_errors
def advise(data_type, labels, size, has_sft, gpu_memory, gpu_count, goals):
    result = checklist.advise(_situation(data_type, labels, size, has_sft, gpu_memory, gpu_count, goals))
    ranked = [(ALGORITHMS[r.algorithm].title, r.algorithm) for r in result.recommendations]
    return _advice_markdown(result), result.to_dict(), gr.update(choices=ranked, value=ranked[0][1])


@user_errors
def preset(algorithm, data_type, labels, size, has_sft, gpu_memory, gpu_count, goals):
    situation = _situation(data_type, labels, size, has_sft, gpu_memory, gpu_count, goals)
    spec = checklist.advise(situation).get(algorithm).spec("", "")
    return run_form.updates(algorithm, form.values_from_spec(spec))


@user_errors
def validate_hyperparameters(algorithm, model, dataset, size, *values):
    result = review(run_form.spec(algorithm, model, dataset, values), _number(size))
    if result.errors:
        raise gr.Error("Refused:\n- " + "\n- ".join(result.errors))
    advice = "".join(f"\n- {warning}" for warning in result.warnings)
    return "✅ All values are within their valid ranges." + (f"\n\n**Advice**{advice}" if advice else "")


@user_errors
def memory_estimate(algorithm, model, dataset, size, gpu_memory, *values):
    params_b = _number(size)
    if params_b is None:
        raise gr.Error("Give the model size (or read it from the model) to estimate memory.")
    spec = run_form.spec(algorithm, model, dataset, values)
    result = memory.estimate(memory.query_from_spec(spec, params_b), _number(gpu_memory))
    lines = [f"**{result.verdict}**", "", "| part | GB |", "|---|---|"]
    lines += [f"| {name} | {value:.2f} |" for name, value in result.parts.items() if value]
    if result.suggestions:
        lines += ["", "**What would make it fit**"]
        lines += [f"- {s.change} (about {s.peak_gb:.1f} GB)" for s in result.suggestions]
    return "\n".join(lines), result.to_dict()


@user_errors
def loss_plot(algorithm, betas):
    curves = plots.preference_loss(algorithm, plots.parse_betas(betas))
    return curves["loss"], curves["gradient"]


@user_errors
def kto_value_plot(betas, desirable_weight, undesirable_weight):
    weights = float(desirable_weight or 1.0), float(undesirable_weight or 1.0)
    return plots.kto_value(plots.parse_betas(betas), *weights)


def _out_dir() -> Path:
    # Outside the data home: Gradio may serve these files, never the data home.
    return Path(tempfile.mkdtemp(prefix="alignui-recipe-"))


@user_errors
def save_recipe(algorithm, model, dataset, *values):
    spec = run_form.spec(algorithm, model, dataset, values)
    return str(recipe_file.save_recipe(spec, _out_dir() / f"{algorithm}-recipe.yaml"))


@user_errors
def open_recipe(path):
    if not path:
        raise gr.Error("Upload a recipe YAML first.")
    spec = recipe_file.load_recipe(Path(path))
    return [spec.algorithm, spec.model, spec.dataset, *run_form.updates(spec.algorithm, form.values_from_spec(spec))]


@user_errors
def launch(algorithm, model, dataset, *values):
    from alignui.train import jobs

    job = jobs.submit(run_form.spec(algorithm, model, dataset, values))
    return (f"Job {job['job_id']} {job['status']}: watch it in the Train tab (run folder "
            f"`{job['run_dir']}`).")


@user_errors
def export_recipe(algorithm, model, dataset, *values):
    spec = run_form.spec(algorithm, model, dataset, values)
    folder = _out_dir()
    script = folder / f"train_{algorithm}.py"
    if algorithm not in trl_export.TRL_COMMANDS:
        trl_export.export(spec, script)
        return str(script), None, (f"trl 1.16's command line has no {ALGORITHMS[algorithm].title} command: "
                                   f"run `python {script.name}`.")
    _, config = trl_export.export(spec, script, folder / f"trl_{algorithm}.yaml")
    return str(script), str(config), (f"Run `python {script.name}`, or `trl {trl_export.TRL_COMMANDS[algorithm]} "
                                      f"--config {config.name}` next to it.")


@user_errors
def dataset_facts(name):
    if not name:
        return gr.update(), ""
    facts = read_dataset_facts(allowed_path(name, "data"))
    labels = f"{facts.label_counts[0]}:{facts.label_counts[1]}" if facts.label_counts else ""
    return facts.type, labels


@user_errors
def read_model(name):
    from alignui.model_info import inspect_model

    info = inspect_model(allowed_path(name, "model"))
    kind = "looks instruction-tuned" if info.looks_instruct else "looks like a base model"
    facts = (f"{info.params:,} parameters ({info.params_b:.3g}B), hidden {info.shape.hidden}, "
             f"{info.shape.layers} layers; {kind}: {info.evidence}.")
    return round(info.params_b, 6), info.looks_instruct, facts


def saved_dataset_choices():
    return gr.update(choices=saved_datasets())


def on_load():
    from alignui import hardware

    gpus = hardware.gpus()
    names = saved_datasets()
    size = min((gpu.memory_gb for gpu in gpus), default=None)
    memory_box = gr.update(value=size) if gpus else gr.update(
        value=None, label="GPU memory (GB) of the GPUs you will train on",
        info="No GPU on this machine: type the memory of the target GPUs, or leave it empty.")
    return gr.update(choices=names), memory_box, len(gpus) or 1


def render() -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        dataset = gr.Dropdown([], label="Dataset", allow_custom_value=True,
                              info="A saved dataset (its type is read from the catalog) or a data file path.")
        data_type = gr.Dropdown(list(DATASET_TYPES), value="preference", label="Data type",
                                info="Filled from the saved dataset; pick it by hand for a file.")
        labels = gr.Textbox(label="Desirable:undesirable rows", placeholder="800:200",
                            info="Binary feedback balance, for KTO's weights.")
    with gr.Row():
        model = gr.Textbox(label="Model", info="A local model folder or a hub id.")
        size = gr.Number(label="Model size (billions of parameters)",
                         info="Read from the model's config; editable.")
        has_sft = gr.Checkbox(True, label="The model already had SFT (instruct/chat)")
    read = gr.Button("Read model size and SFT hints", size="sm")
    model_facts = gr.Markdown()
    with gr.Row():
        gpu_memory = gr.Number(label="GPU memory (GB per GPU)", info="Detected; empty when unknown or no GPU.")
        gpu_count = gr.Number(1, precision=0, label="GPUs", info="Detected; editable.")
    goals = gr.CheckboxGroup([(label, key) for key, label in GOALS.items()], label="Goals and concerns")
    recommend = gr.Button("Recommend", variant="primary")
    ranking = gr.Markdown()
    with gr.Accordion("The full answer (JSON)", open=False):
        advice_json = gr.JSON()

    gr.Markdown("### Hyperparameters")
    algorithm = gr.Dropdown([(a.title, a.name) for a in ALGORITHMS.values()], value="dpo", label="Algorithm",
                            info="The best recommendation is picked for you; choose another to see its presets.")
    fields = run_form.render("dpo")
    validate = gr.Button("Validate hyperparameters")
    validation = gr.Markdown()

    with gr.Accordion("Memory estimate", open=True):
        estimate = gr.Button("Estimate memory")
        memory_md = gr.Markdown()
        memory_json = gr.JSON(visible=False)

    with gr.Accordion("Loss curves", open=False):
        with gr.Row():
            curve_algorithm = gr.Radio([("DPO", "dpo"), ("IPO", "ipo")], value="dpo", label="Loss")
            betas = gr.Textbox("0.05, 0.1, 0.3, 0.5", label="beta values", info="Comma-separated.")
            draw = gr.Button("Draw")
        with gr.Row():
            loss_chart = gr.LinePlot(x="margin", y="value", color="series", label="Loss against the reward margin")
            gradient_chart = gr.LinePlot(x="margin", y="value", color="series", label="Gradient against the margin")
        with gr.Row():
            kto_betas = gr.Textbox("0.1, 0.3", label="KTO beta values")
            draw_kto = gr.Button("Draw KTO value")
        kto_chart = gr.LinePlot(x="reward", y="value", color="series", label="KTO value (gains and losses)")

    with gr.Accordion("Recipe", open=True):
        with gr.Row():
            launch_button = gr.Button("Launch this recipe", variant="primary")
            save = gr.Button("Save recipe (YAML)")
            export = gr.Button("Export TRL script and trl config")
        launch_message = gr.Markdown()
        with gr.Row():
            recipe_out = gr.File(label="Recipe")
            script_file = gr.File(label="TRL Python script")
            trl_file = gr.File(label="trl CLI config")
        export_note = gr.Markdown()
        upload = gr.File(label="Load a recipe", file_types=[".yaml", ".yml"], type="filepath")

    answers = [data_type, labels, size, has_sft, gpu_memory, gpu_count, goals]
    source = [algorithm, model, dataset]
    gr.on(triggers=None, fn=on_load, inputs=None, outputs=[dataset, gpu_memory, gpu_count], api_name="on_load")
    # Datasets saved in the Data tab since the page loaded appear when the list is opened.
    dataset.focus(saved_dataset_choices, outputs=dataset, api_visibility="private")
    gr.on([read.click, model.submit], read_model, model, [size, has_sft, model_facts], api_name="read_model")
    recommend.click(advise, answers, [ranking, advice_json, algorithm], api_name="advise").then(
        preset, [algorithm, *answers], fields, api_name="preset")
    algorithm.input(preset, [algorithm, *answers], fields, api_visibility="undocumented")
    validate.click(validate_hyperparameters, [*source, size, *fields], validation,
                   api_name="validate_hyperparameters")
    estimate.click(memory_estimate, [*source, size, gpu_memory, *fields], [memory_md, memory_json],
                   api_name="memory_estimate")
    draw.click(loss_plot, [curve_algorithm, betas], [loss_chart, gradient_chart], api_name="loss_plot")
    draw_kto.click(kto_value_plot, [kto_betas, fields[form.NAMES.index("desirable_weight")],
                                    fields[form.NAMES.index("undesirable_weight")]], kto_chart,
                   api_name="kto_value_plot")
    launch_button.click(launch, [*source, *fields], launch_message, api_name="launch_plan")
    save.click(save_recipe, [*source, *fields], recipe_out, api_name="save_recipe")
    export.click(export_recipe, [*source, *fields], [script_file, trl_file, export_note],
                 api_name="export_recipe")
    upload.upload(open_recipe, upload, [algorithm, model, dataset, *fields], api_name="open_recipe")
    # Picking a dataset fills what it tells about itself, then ranks the algorithms for it.
    dataset.change(dataset_facts, dataset, [data_type, labels], api_name="dataset_facts").success(
        advise, answers, [ranking, advice_json, algorithm], api_visibility="private").success(
        preset, [algorithm, *answers], fields, api_visibility="private")
