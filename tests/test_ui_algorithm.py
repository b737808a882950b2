"""The Algorithm tab, driven through gradio_client against a running `python app.py`."""

import json
from pathlib import Path

import pytest
import yaml
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from alignui.recipe import form
from alignui.recipe.presets import preset
from alignui.recipe.spec import TrainSpec

# data type, label counts, size (B), had SFT, GPU memory (GB), GPU count, goals
PAIRS_24GB_7B = ("preference", "", 7, True, 24, 1, [])


def form_values(algorithm: str, **args) -> list:
    made = preset(algorithm, model_size_b=7)
    spec = TrainSpec(algorithm, "", "", args={**made.args, **args}, lora=made.lora)
    values = form.values_from_spec(spec)
    return [values[name] for name in form.NAMES]


def shown(updates) -> dict:
    return {name: update["visible"] for name, update in zip(form.NAMES, updates)}


def test_advise_ranks_with_reasons_and_picks_the_best(client):
    ranking, advice, choice = client.predict(*PAIRS_24GB_7B, api_name="/advise")
    assert ranking.startswith("**1. SimPO**") and "24 GB or less" in ranking
    assert [rec["algorithm"] for rec in advice["recommendations"]][:2] == ["simpo", "orpo"]
    assert advice["memory"]["fits"] is True
    assert choice["value"] == "simpo" and ["ORPO", "orpo"] in choice["choices"]


def test_binary_feedback_gets_kto_and_the_pairwise_algorithms_are_explained(client):
    ranking, advice, choice = client.predict("unpaired_preference", "900:100", None, True, None, 1, [],
                                             api_name="/advise")
    assert choice["value"] == "kto"
    assert "**Not recommended**" in ranking and "never become pairs" in ranking
    assert advice["recommendations"][0]["hyperparameters"]["undesirable_weight"] == 2.25


def test_goals_change_the_answer(client):
    _, advice, _ = client.predict("preference", "", None, True, None, 1, ["overfitting"], api_name="/advise")
    assert advice["recommendations"][0]["algorithm"] == "ipo"
    _, advice, _ = client.predict("preference", "", None, False, None, 1, [], api_name="/advise")
    assert advice["recommendations"][0]["algorithm"] == "kto"


def test_invalid_answers_are_refused(client):
    with pytest.raises(AppError, match="GPU memory -4 GB must be above 0"):
        client.predict("preference", "", None, True, -4, 1, [], api_name="/advise")


def test_an_emptied_number_box_means_unknown(client):
    # The browser sends an emptied gr.Number as 0: model size and GPU memory are then unknown.
    _, advice, _ = client.predict("preference", "", 0, True, 0, 1, [], api_name="/advise")
    assert advice["recommendations"] and advice["memory"] is None


def test_preset_fills_the_form_with_fields_for_that_algorithm_only(client):
    updates = client.predict("simpo", *PAIRS_24GB_7B, api_name="/preset")
    values = {name: update["value"] for name, update in zip(form.NAMES, updates)}
    assert values["beta"] == 2.0 and values["simpo_gamma"] == 1.0 and values["method"] == "lora"
    visible = shown(updates)
    assert visible["simpo_gamma"] and not visible["desirable_weight"] and not visible["num_generations"]
    assert not any(visible[name] for name in ("dpo_loss_type", "loss_weights", "grpo_loss_type", "scale_rewards"))
    dpo = shown(client.predict("dpo", *PAIRS_24GB_7B, api_name="/preset"))
    assert dpo["dpo_loss_type"] and dpo["loss_weights"] and dpo["precompute_ref_log_probs"]
    kto = shown(client.predict("kto", *PAIRS_24GB_7B, api_name="/preset"))
    assert kto["desirable_weight"] and kto["undesirable_weight"] and not kto["simpo_gamma"]
    orpo = client.predict("orpo", *PAIRS_24GB_7B, api_name="/preset")
    assert orpo[form.NAMES.index("beta")]["label"] == "lambda (TRL's beta)"
    assert all(update["info"] for update in orpo)


@pytest.mark.parametrize("algorithm", ["dpo", "grpo"])
def test_loss_choices_render_as_dropdowns_with_every_reason(algorithm):
    import gradio as gr

    from alignui.recipe import loss_options
    from alignui.ui import run_form

    with gr.Blocks():
        fields = dict(zip(form.NAMES, run_form.render(algorithm)))
    for choices in loss_options.FIELDS:
        name = {"loss_type": f"{choices.algorithms[0]}_loss_type"}.get(choices.name, choices.name)
        box = fields[name]
        assert isinstance(box, gr.Dropdown) and box.multiselect is choices.multiple
        assert box.visible is (algorithm in choices.algorithms)
        assert all(f"{c.value}: {c.reason}" in box.info for c in choices.choices)
    assert fields["dpo_loss_type"].value == [] and fields["loss_weights"].visible is (algorithm == "dpo")
    assert fields["precompute_ref_log_probs"].visible is (algorithm == "dpo")


def test_preset_for_an_algorithm_the_data_cannot_use_says_why(client):
    with pytest.raises(AppError, match="binary labels never become pairs"):
        client.predict("dpo", "unpaired_preference", "", None, True, None, 1, [], api_name="/preset")


def test_validation_accepts_presets_and_refuses_bad_values(client):
    message = client.predict("dpo", "", "", 7, *form_values("dpo"), api_name="/validate_hyperparameters")
    assert message.startswith("✅")
    with pytest.raises(AppError, match="beta 0.5 is invalid for IPO.*about 0.01"):
        client.predict("ipo", "", "", 7, *form_values("ipo", beta=0.5), api_name="/validate_hyperparameters")
    with pytest.raises(AppError, match="learning_rate 2e-05 is too high for DPO on a 7B model"):
        client.predict("dpo", "", "", 7, *form_values("dpo", learning_rate=2e-5),
                       api_name="/validate_hyperparameters")
    mixed = form_values("dpo", loss_type=["sigmoid", "sft"], loss_weights=[1.0, 0.2], precompute_ref_log_probs=True)
    assert client.predict("dpo", "", "", 7, *mixed, api_name="/validate_hyperparameters").startswith("✅")
    mixed[form.NAMES.index("loss_weights")] = "1"
    with pytest.raises(AppError, match="Loss weights: loss_weights has 1 number"):
        client.predict("dpo", "", "", 7, *mixed, api_name="/validate_hyperparameters")


def test_validation_gives_advice_for_a_demo_models_learning_rate(client):
    message = client.predict("dpo", "", "", 0.5, *form_values("dpo", learning_rate=3e-4),
                             api_name="/validate_hyperparameters")
    assert message.startswith("✅") and "**Advice**" in message and "advice, not a limit" in message


def test_memory_estimate_says_fits_or_what_would_make_it_fit(client):
    text, data = client.predict("simpo", "", "", 7, 24, *form_values("simpo"), api_name="/memory_estimate")
    assert text.startswith("**fits:") and data["fits"] is True and "| weights |" in text
    full_dpo = form_values("dpo")
    full_dpo[form.NAMES.index("method")] = "full"
    text, data = client.predict("dpo", "", "", 7, 24, *full_dpo, api_name="/memory_estimate")
    assert text.startswith("**does not fit:") and "What would make it fit" in text
    assert any("LoRA" in s["change"] for s in data["suggestions"])
    with pytest.raises(AppError, match="Give the model size"):
        client.predict("dpo", "", "", None, 24, *full_dpo, api_name="/memory_estimate")


def test_loss_and_value_plots(client):
    loss, gradient = client.predict("ipo", "0.01, 0.1", api_name="/loss_plot")
    assert loss["columns"] == ["margin", "value", "series"]
    assert {row[2] for row in loss["data"]} == {"beta=0.01", "beta=0.1"}
    assert len(gradient["data"]) == len(loss["data"])
    value = client.predict("0.1, 0.3", 1.0, 1.5, api_name="/kto_value_plot")
    assert value["columns"] == ["reward", "value", "series"]
    with pytest.raises(AppError, match="not a number"):
        client.predict("dpo", "0.1, big", api_name="/loss_plot")


def test_recipe_saves_loads_and_exports(client, tiny_model, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    values = form_values("dpo", learning_rate=3e-7)
    values[form.NAMES.index("processes")] = 2
    saved = client.predict("dpo", str(tiny_model), str(data), *values, api_name="/save_recipe")
    spec = yaml.safe_load(Path(saved).read_text())
    assert (spec["algorithm"], spec["args"]["learning_rate"], spec["hardware"]["processes"]) == ("dpo", 3e-7, 2)

    algorithm, model, dataset, *updates = client.predict(handle_file(saved), api_name="/open_recipe")
    assert (algorithm, model, dataset) == ("dpo", str(tiny_model), str(data))
    assert updates[form.NAMES.index("learning_rate")]["value"] == 3e-7
    assert updates[form.NAMES.index("processes")]["value"] == 2

    script, config, note = client.predict("dpo", str(tiny_model), str(data), *values, api_name="/export_recipe")
    assert "DPOTrainer(" in Path(script).read_text()
    assert yaml.safe_load(Path(config).read_text())["beta"] == 0.1 and "trl dpo --config" in note
    script, config, note = client.predict("simpo", str(tiny_model), str(data), *form_values("simpo"),
                                          api_name="/export_recipe")
    assert "CPOTrainer(" in Path(script).read_text() and config is None and "no SimPO command" in note


def test_saving_an_incomplete_recipe_lists_what_is_missing(client):
    with pytest.raises(AppError, match="(?s)model is empty.*dataset is empty"):
        client.predict("dpo", "", "", *form_values("dpo"), api_name="/save_recipe")


def test_dataset_type_and_balance_come_from_the_catalog(client, app_server, monkeypatch, tmp_path):
    from alignui.data import catalog

    _, home = app_server
    monkeypatch.setenv("ALIGNUI_HOME", str(home))
    path = tmp_path / "thumbs.jsonl"
    rows = [{"prompt": f"q{i}", "completion": f"a{i}", "label": i < 9} for i in range(10)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    catalog.save(path, "ui-algorithm-thumbs")
    assert client.predict("ui-algorithm-thumbs", api_name="/dataset_facts") == ("unpaired_preference", "9:1")
    choices = client.predict(api_name="/on_load")[0]["choices"]
    assert ["ui-algorithm-thumbs", "ui-algorithm-thumbs"] in choices
    with pytest.raises(AppError, match="is not a saved dataset, nor a data file under the folders"):
        client.predict("no-such-data", api_name="/dataset_facts")


def test_reading_a_model_fills_size_and_sft(client, tiny_model):
    size, had_sft, facts = client.predict(str(tiny_model), api_name="/read_model")
    assert 0 < size < 0.001 and had_sft is True and "chat template" in facts
    with pytest.raises(AppError, match="has no config.json"):
        client.predict(str(tiny_model.parent), api_name="/read_model")


def test_gpus_are_detected_on_load(client):
    from alignui import hardware

    _, memory, count = client.predict(api_name="/on_load")
    gpus = hardware.gpus()
    assert count == (len(gpus) or 1)
    memory = memory["value"] if isinstance(memory, dict) else memory
    assert memory == (min(g.memory_gb for g in gpus) if gpus else None)


def test_launch_this_recipe_submits_the_form_as_it_stands(client, tiny_model, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "a", "rejected": "b"}) + "\n" for i in range(4)))
    values = form_values("dpo", learning_rate=3e-7, max_steps=1)
    values[form.NAMES.index("lora_dropout")] = 0.2
    message = client.predict("dpo", str(tiny_model), str(data), *values, api_name="/launch_plan")
    job_id = int(message.split()[1])
    assert "watch it in the Train tab" in message
    shown = client.predict(job_id, api_name="/job_status")[0]
    assert (shown["algorithm"], shown["model"]) == ("dpo", str(tiny_model))
    client.predict(job_id, api_name="/cancel")
