"""The run form as Gradio components: the same fields in the Algorithm tab and the Train tab.

`render` lays out one component per field of `alignui.recipe.form` (in `form.NAMES` order),
`updates` fills them from a spec's values for an algorithm, and `spec` reads them back.
"""

import gradio as gr

from alignui.paths import allowed_path
from alignui.recipe import form


def _info(field: form.FormField) -> str:
    return field.help + (f" Valid: {field.valid}." if field.valid else "")


def _component(name: str, algorithm: str, value):
    field = form.field_for(name, algorithm)
    common = {"label": field.label, "info": _info(field), "visible": form.shown(name, algorithm), "value": value}
    if field.kind in ("choice", "choices"):
        return gr.Dropdown(list(field.choices), multiselect=field.kind == "choices", **common)
    if field.kind == "text":
        return gr.Textbox(lines=3 if field.name == "extra" else 1, **common)
    return gr.Number(precision=0 if field.kind == "integer" else None, **common)


def preset_values(algorithm: str) -> dict:
    """The form filled with the algorithm's presets for a model of unknown size (the Recommend button
    and a loaded recipe replace them)."""
    from alignui.recipe import presets
    from alignui.recipe.spec import TrainSpec

    preset = presets.preset(algorithm)
    return form.values_from_spec(TrainSpec(algorithm, "", "", args=dict(preset.args), lora=preset.lora))


def render(algorithm: str = "dpo") -> list:
    """Every field of the form in three columns, filled with the algorithm's presets; returns them in
    form.NAMES order."""
    values = preset_values(algorithm)
    fields = []
    third = -(-len(form.FIELDS) // 3)
    with gr.Row(equal_height=False):
        for start in range(0, len(form.FIELDS), third):
            with gr.Column():
                fields += [_component(field.name, algorithm, values.get(field.name))
                           for field in form.FIELDS[start:start + third]]
    return fields


def updates(algorithm: str, values: dict) -> list:
    """gr.update for every field: its value, and its label and visibility for the algorithm."""
    found = []
    for name in form.NAMES:
        field = form.field_for(name, algorithm)
        found.append(gr.update(value=values.get(name), visible=form.shown(name, algorithm),
                               label=field.label, info=_info(field)))
    return found


def spec(algorithm, model, dataset, values):
    """The TrainSpec the fields describe (values in form.NAMES order); server paths are taken only
    under the allowed roots (alignui.paths)."""
    values = dict(zip(form.NAMES, values))
    values["reward_model"] = allowed_path(values.get("reward_model"), "reward model")
    return form.spec_from_values(algorithm, allowed_path(model, "model"), allowed_path(dataset, "data"), values)
