"""The Train tab, driven through gradio_client against a running `python app.py`."""

import time

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_train_data import data_file, tiny_settings

from alignui.train.spec import HardwareSpec, LoraSpec, TrainSpec


def launch(client, model, data, hyperparameters, algorithm="dpo", lora=False):
    return client.predict(algorithm, str(model), str(data), hyperparameters, lora, 16, [], 1, 0.0,
                          api_name="/launch")


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

    job, status, progress, loss, _margins, _accuracy, learning_rate, log, diagnosis, _timer, table = \
        watch_until_ended(client, job_id)

    assert job["status"] == "succeeded", job["error"]
    assert "`succeeded`" in status and "Compare tab" in status
    assert 'value="3" max="3"' in progress
    assert [row[0] for row in loss["data"] if row[2] == "loss" and row[1] is not None] == [1, 2, 3]
    assert loss["datatypes"]["value"] == "quantitative"  # numbers on the axis, not categories
    assert {row[2] for row in learning_rate["data"]} == {"learning_rate"}
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
        launch(client, tiny_model, data_file(tmp_path, "dpo"), "learning rate is small")


def test_a_recipe_fills_the_form(client, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    TrainSpec("ipo", "/models/base", "my-pairs", args={"beta": 0.2, "max_steps": 10},
              lora=LoraSpec(r=8), hardware=HardwareSpec(gpus="0,1", processes=2), eval_fraction=0.1).save(recipe)
    algorithm, model, dataset, hyperparameters, lora, rank, gpus, processes, eval_fraction = client.predict(
        handle_file(str(recipe)), api_name="/load_recipe")
    assert (algorithm, model, dataset) == ("ipo", "/models/base", "my-pairs")
    assert hyperparameters.splitlines() == ["beta=0.2", "max_steps=10"]
    assert (lora, rank, gpus, processes, eval_fraction) == (True, 8, ["0", "1"], 2, 0.1)


def test_the_page_says_where_jobs_train_and_picks_the_newest_job(client):
    hardware, _gpus, _datasets, table, newest, backend = client.predict(api_name="/hardware")
    assert (backend["visible"], backend["value"]) == (False, "local")  # no cluster is configured: no choice
    assert "CPU" in hardware or "GPU" in hardware
    assert newest == (max(row[0] for row in table["data"]) if table["data"] else None)


def test_plots_know_every_series_and_stay_numeric_before_the_first_log():
    from alignui.ui.train_tab import plot_frame

    empty = plot_frame([], ("loss", "eval_loss"))
    assert (str(empty["step"].dtype), str(empty["value"].dtype)) == ("int64", "float64")
    assert list(empty["series"]) == ["loss", "eval_loss"] and empty["value"].isna().all()
    frame = plot_frame([{"step": 5, "loss": 0.7}, {"step": 6, "loss": 0.6}], ("loss", "eval_loss"))
    assert frame.dropna().values.tolist() == [[5, 0.7, "loss"], [6, 0.6, "loss"]]
    assert set(frame[frame["value"].isna()]["series"]) == {"loss", "eval_loss"}
