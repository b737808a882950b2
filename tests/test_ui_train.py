"""The Train tab, driven through gradio_client against a running `python app.py`."""

import time

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_train_data import data_file, tiny_settings

from alignui.recipe import form
from alignui.recipe.assignments import parse_assignments
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec


def form_values(algorithm, settings="", lora=False, extra="") -> list:
    """The form filled as a person would: each setting in its own field, the rest under more fields."""
    spec = TrainSpec(algorithm, "", "", args=parse_assignments(settings.splitlines()),
                     lora=LoraSpec() if lora else None, eval_fraction=0.0)
    values = form.values_from_spec(spec)
    values["extra"] = "\n".join(part for part in (values["extra"], extra) if part)
    return [values[name] for name in form.NAMES]


def filled(updates) -> dict:
    """The form's values from the updates an endpoint returns."""
    return dict(zip(form.NAMES, (u["value"] if isinstance(u, dict) else u for u in updates)))


def launch(client, model, data, settings, algorithm="dpo", lora=False, extra=""):
    return client.predict(algorithm, str(model), str(data), *form_values(algorithm, settings, lora, extra),
                          "local", api_name="/launch")


def watch_until_ended(client, job_id, timeout=150):
    deadline = time.time() + timeout
    while time.time() < deadline:
        shown = client.predict(job_id, api_name="/job_status")
        if shown[0]["status"] not in ("queued", "running"):
            return shown
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


@pytest.mark.timeout(200)
def test_launch_a_job_and_watch_it_to_the_end(client, tmp_path, tiny_model):
    message, job_id, table = launch(client, tiny_model, data_file(tmp_path, "kto"),
                                    "\n".join(tiny_settings("kto")), algorithm="kto")
    assert f"Job {job_id}" in message
    assert job_id in [row[0] for row in table["data"]]

    # (The doctor's Apply button, shown only with a diagnosis, is not part of the API's answer.)
    job, status, progress, loss, rewards, kl, learning_rate, log, diagnosis, _timer, table = \
        watch_until_ended(client, job_id)

    assert job["status"] == "succeeded", job["error"]
    assert "`succeeded`" in status and "Compare tab" in status
    assert 'value="3" max="3"' in progress
    loss = loss["value"]
    assert [row[0] for row in loss["data"] if row[2] == "train" and row[1] is not None] == [1, 2, 3]
    assert loss["datatypes"]["value"] == "quantitative"  # numbers on the axis, not categories
    # KTO's own charts: rewards per label and KL, with short legend names and what good looks like.
    assert (rewards["label"], kl["label"]) == ("Rewards per label", "KL to the reference")
    assert {row[2] for row in rewards["value"]["data"]} == {"desirable", "undesirable"}
    assert "undesirable falls below" in rewards["caption"] and rewards["color_title"] == "label"
    assert any(row[1] is not None for row in kl["value"]["data"])
    assert {row[2] for row in learning_rate["value"]["data"]} == {"rate"}
    assert "ended: succeeded" in log
    assert diagnosis == ""  # a healthy run
    assert [row[1] for row in table["data"] if row[0] == job_id] == ["succeeded"]
    listed = client.predict(api_name="/jobs")
    assert [row[1] for row in listed["data"] if row[0] == job_id] == ["succeeded"]

    with pytest.raises(AppError, match="not queued or running"):
        client.predict(job_id, api_name="/cancel")
    with pytest.raises(AppError, match="nothing to fix"):
        client.predict(job_id, api_name="/apply_fix")


def test_a_bad_setting_is_refused_with_the_field_name(client, tmp_path, tiny_model):
    with pytest.raises(AppError, match="no_such_field"):
        launch(client, tiny_model, data_file(tmp_path, "dpo"), "no_such_field=3")
    with pytest.raises(AppError, match="FIELD=VALUE"):
        launch(client, tiny_model, data_file(tmp_path, "dpo"), "", extra="learning rate is small")
    with pytest.raises(AppError, match="max_steps: must be a whole number"):
        launch(client, tiny_model, data_file(tmp_path, "dpo"), "max_steps=abc")
    with pytest.raises(AppError, match="did you mean max_steps"):
        launch(client, tiny_model, data_file(tmp_path, "dpo"), "max_step=3")


@pytest.mark.parametrize("algorithm, losses", [
    ("grpo", {"loss_type": "dr_grpo", "importance_sampling_level": "sequence", "scale_rewards": "batch"}),
    ("dpo", {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, 0.2], "precompute_ref_log_probs": True}),
])
def test_a_recipe_fills_every_field_of_the_form(client, tmp_path, algorithm, losses):
    recipe = tmp_path / "recipe.yaml"
    spec = TrainSpec(algorithm, "/models/base", "my-prompts", args={"beta": 0.02, "max_steps": 10, "seed": 7, **losses},
                     lora=LoraSpec(r=8, alpha=4, dropout=0.1, target_modules=["q_proj", "v_proj"],
                                   quantize_4bit=True),
                     hardware=HardwareSpec(gpus="0,1", processes=2, distributed="fsdp", machines=2, machine_rank=1,
                                           main_address="10.0.0.2", main_port=29600),
                     eval_fraction=0.1, reward_model="/models/judge" if algorithm == "grpo" else "")
    spec.save(recipe)
    algorithm, model, dataset, *values = client.predict(handle_file(str(recipe)), api_name="/load_recipe")
    assert filled(values)["extra"] == "max_steps=10\nseed=7"  # the losses have their own fields
    assert form.spec_from_values(algorithm, model, dataset, filled(values)) == spec


def test_a_demo_recipe_loads_with_one_click(client):
    from alignui.demo import paths

    algorithm, model, dataset, *values = client.predict("dpo", api_name="/load_demo_recipe")
    spec = form.spec_from_values(algorithm, model, dataset, filled(values))
    assert (spec.algorithm, spec.model, spec.dataset) == ("dpo", str(paths().model), str(paths().preference))
    assert spec.args["learning_rate"] == 3e-4 and spec.args["num_train_epochs"] == 3
    assert spec.args["loss_type"] == ["sigmoid", "sft"] and spec.args["loss_weights"] == [1.0, 1.0]


def test_the_page_says_where_jobs_train_and_picks_the_newest_job(client):
    hardware, _datasets, table, newest, backend = client.predict(api_name="/hardware")
    from alignui import hardware as probe

    assert hardware == probe.describe()  # the server's machine is this one
    assert ("train on the CPU" in hardware) == (not probe.gpus())
    assert (backend["visible"], backend["value"]) == (False, "local")  # no cluster is configured: no choice
    assert newest == (max(row[0] for row in table["data"]) if table["data"] else None)


def test_plots_know_every_series_and_stay_numeric_before_the_first_log():
    from alignui.ui.train_tab import plot_frame

    series = {"loss": "train", "eval_loss": "eval"}
    empty = plot_frame([], series)
    assert (str(empty["step"].dtype), str(empty["value"].dtype)) == ("int64", "float64")
    assert list(empty["series"]) == ["train", "eval"] and empty["value"].isna().all()
    frame = plot_frame([{"step": 5, "loss": 0.7}, {"step": 6, "loss": 0.6}], series)
    assert frame.dropna().values.tolist() == [[5, 0.7, "train"], [6, 0.6, "train"]]
    assert set(frame[frame["value"].isna()]["series"]) == {"train", "eval"}


def test_each_algorithm_charts_what_its_trainer_logs_and_says_why_a_chart_is_empty():
    from alignui.train import metrics
    from alignui.ui.train_tab import chart_plot

    assert [c.title for c in metrics.charts("dpo")][1:3] == ["Reward margin (chosen − rejected)", "Reward accuracy"]
    assert "Reward accuracy" not in [c.title for c in metrics.charts("kto")]
    assert all(len(charts) <= metrics.SLOTS for charts in metrics.CHARTS.values())
    running = chart_plot(metrics.MARGIN, [{"step": 1, "loss": 0.69}], active=True)
    assert running.caption.startswith("Nothing logged yet") and "rises above 0" in running.caption
    ended = chart_plot(metrics.MARGIN, [{"step": 1, "loss": 0.69}], active=False)
    assert ended.caption.startswith("This run logged none of these values")
