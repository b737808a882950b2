"""The whole flow in a real browser, as a person walks it: Debian's Chromium driven by Playwright
against a real `python app.py`.

Upload data → recommendation → a DPO training job watched to the end → both models answer, a vote,
the votes exported to the catalog → an evaluation. A full-page screenshot of each tab is saved once it
shows real results: into $ALIGNUI_SCREENSHOTS when set (the README's pictures), else the test's
tmp_path.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, free_port, served_roots, session_temp_of
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright
from test_arena_models import build_reward_model, built_once

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
#: The job runs as a background `accelerate launch` on busy cores: start-up dominates its time.
TRAINING_TIMEOUT_MS = 180_000
#: Any single step of the page (an upload, a click's answer, a model load).
STEP_TIMEOUT_MS = 60_000
#: The run form's boxes a person changes for a three-step job, and the rest under "More TRL fields".
TRAINING = {"Learning rate": "0.01", "Warmup": "0", "Batch size per GPU": "2", "Gradient accumulation": "1", "Max length": "64"}
MORE_FIELDS = "max_steps=3\nlogging_steps=1"
#: The tiny model's context is 256 tokens; the answers only need to exist.
NEW_TOKENS = "12"

pytestmark = [
    pytest.mark.timeout(600),
    # On a developer's machine a missing browser skips the test; CI must run it.
    pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                       reason=f"{CHROMIUM} is missing: install Debian's chromium package to run the browser test"),
]


@contextmanager
def serve_app(home: Path):
    """A real `python app.py` on a free port with its own data home; yields its URL."""
    port = free_port()
    env = dict(os.environ, ALIGNUI_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False",
               **served_roots(session_temp_of(home)))  # pytest's temp folder: the tiny model and the data
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.log", "w") as log:
        server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while server.poll() is None and time.time() < deadline:
                try:  # the page itself, not just the socket: a busy machine accepts before it serves
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).close()
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("app.py did not start:\n" + (home / "server.log").read_text())
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def app_page(tmp_path):
    """The app's page in Chromium. The app is this test's own: the votes it exports are every vote in
    its database, so it must not share one with the other UI tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
    with serve_app(tmp_path / "server-home") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(url)
        look_around(page)
        yield page
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("ALIGNUI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def preference_file(tmp_path) -> Path:
    """40 arithmetic pairs; row 6 has an empty chosen answer and row 18 is broken JSON."""
    lines = [json.dumps({"prompt": f"What is {a} + {a % 7}?", "chosen": f" The answer is {a + a % 7}.",
                         "rejected": f" The answer is {a + a % 7 + 1}."}) for a in range(40)]
    lines[5] = json.dumps({"prompt": "What is 1 + 1?", "chosen": "", "rejected": " The answer is 3."})
    lines[17] = '{"prompt": "What is'
    path = tmp_path / "arithmetic-pairs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def prompt_file(tmp_path) -> Path:
    path = tmp_path / "held-out.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"What is {a} + {b}?", "answer": str(a + b)}) + "\n"
                            for a, b in [(2, 3), (4, 4), (7, 1), (6, 2)]))
    return path


# ----- driving the page -----

def open_tab(page, name: str):
    """Click a tab and return its panel (Gradio renders tabs as role=tab buttons)."""
    page.get_by_role("tab", name=name, exact=True).click()
    return page.get_by_role("tabpanel").filter(visible=True)


def settle(panel) -> None:
    """Wait until no component of the panel waits for the server (Gradio's pending state)."""
    expect(panel.locator('[data-testid="status-tracker"]:not(.hide)')).to_have_count(0, timeout=STEP_TIMEOUT_MS)


def look_around(page) -> None:
    """Visit every tab until its page-load answers have arrived, as a person does on a first visit;
    the flow then starts from the Data tab."""
    for name in ["Algorithm", "Train", "Compare", "Evaluate", "Data"]:
        settle(open_tab(page, name))


def shown(page, locator, timeout: int = STEP_TIMEOUT_MS):
    """Wait until `locator` shows, failing at once with the message if the page shows an error instead."""
    error = page.locator('[data-testid="toast-body"].error')
    expect(locator.or_(error).first).to_be_visible(timeout=timeout)
    if error.first.is_visible():
        pytest.fail(f"the page shows an error: {error.first.get_by_test_id('toast-text').inner_text()}")
    return locator


def choose(page, combobox, option: str) -> None:
    """Pick an option of a Gradio dropdown: open its list, click the option."""
    combobox.click()
    listbox = page.locator("#" + combobox.get_attribute("aria-controls"))
    try:
        listbox.get_by_role("option", name=option).first.click(timeout=10_000)
    except PlaywrightTimeout:
        offered = listbox.get_by_role("option").all_inner_texts()
        raise AssertionError(f"{combobox.get_attribute('aria-label')!r} offers no {option!r}; "
                             f"it offers {offered}") from None


def type_choice(combobox, value: str) -> None:
    """Type a value of one's own into a dropdown that accepts them (a model folder)."""
    combobox.fill(value)
    combobox.press("Enter")


def set_slider(panel, label: str, value: str) -> None:
    """Type a value into a slider's number box; the slider itself then shows it."""
    box = panel.get_by_label(f"number input for {label}")
    box.fill(value)
    box.press("Enter")
    expect(panel.get_by_label(f"range slider for {label}")).to_have_value(value)


#: How many visible lines each chart of a panel draws (Vega's SVG: a path with a shape and a stroke).
DRAWN_LINES = """panel => [...panel.querySelectorAll('[aria-label="Vega visualization"]')].map(chart =>
    [...chart.querySelectorAll('[aria-roledescription="line mark"]')]
        .filter(line => line.getAttribute("d") && getComputedStyle(line).stroke !== "none").length)"""


def expect_charts_drawn(page, panel, charts: int) -> None:
    """Wait until `charts` charts each draw at least one line, as a person watching the page sees them."""
    ready = (f"panel => {{ const drawn = ({DRAWN_LINES})(panel); "
             f"return drawn.length === {charts} && drawn.every(n => n > 0); }}")
    try:
        page.wait_for_function(ready, arg=panel.element_handle(), timeout=10_000)
    except PlaywrightTimeout:
        raise AssertionError(f"lines drawn per chart: {panel.evaluate(DRAWN_LINES)}") from None


# ----- the flow -----

def upload_and_save(page, data: Path, name: str, shots: Path) -> None:
    panel = open_tab(page, "Data")
    panel.get_by_role("button", name="Click to upload").locator("input[type=file]").set_input_files(data)
    shown(page, panel.get_by_text("Type: preference"))
    expect(panel.get_by_text("40 read · 38 valid · 2 skipped")).to_be_visible()
    skipped = panel.get_by_role("grid", name="Rows that will be skipped")
    expect(skipped).to_contain_text("field 'chosen' is empty")
    expect(skipped).to_contain_text("broken JSON")
    assert [row.split()[0] for row in skipped.get_by_role("row").all_inner_texts()[1:]] == ["6", "18"]

    panel.get_by_label("Save as", exact=True).fill(name)
    panel.get_by_role("button", name="Save to catalog").click()
    shown(page, panel.get_by_text(f"Saved {name}: 38 preference rows"))
    expect(panel.get_by_role("grid").last).to_contain_text(name)
    page.screenshot(path=shots / "data.png", full_page=True)


def recommend(page, dataset: str, shots: Path) -> None:
    panel = open_tab(page, "Algorithm")
    choose(page, panel.get_by_label("Dataset", exact=True), dataset)
    expect(panel.get_by_label("Data type", exact=True)).to_have_value("preference")
    panel.get_by_role("button", name="Recommend").click()
    shown(page, panel.get_by_text(re.compile(r"^1\. DPO")))
    expect(panel.get_by_text("Not recommended")).to_be_visible()
    # The best algorithm's presets fill the hyperparameter form.
    expect(panel.get_by_label("Algorithm", exact=True)).to_have_value("DPO")
    expect(panel.get_by_label("beta (DPO)")).not_to_have_value("0")
    page.screenshot(path=shots / "algorithm.png", full_page=True)


def train(page, model: Path, dataset: str, shots: Path) -> int:
    """Launch a tiny DPO job, watch it to the end; returns its id."""
    panel = open_tab(page, "Train")
    choose(page, panel.get_by_label("Algorithm", exact=True), "DPO")
    type_choice(panel.get_by_label("Model", exact=True), str(model))
    choose(page, panel.get_by_label("Dataset", exact=True), dataset)
    choose(page, panel.get_by_label("Training method", exact=True), "full")  # the form presets LoRA for unknown sizes
    for label, value in TRAINING.items():
        panel.get_by_label(label, exact=True).fill(value)
    panel.get_by_role("textbox", name="More TRL fields").fill(MORE_FIELDS)
    panel.get_by_role("button", name="Launch", exact=True).click()
    launched = shown(page, panel.get_by_text(re.compile(r"^Job \d+ queued")))
    job_id = int(re.search(r"Job (\d+)", launched.inner_text()).group(1))

    status = panel.get_by_text(re.compile(rf"^Job {job_id} · "))
    expect(status).to_contain_text("succeeded", timeout=TRAINING_TIMEOUT_MS)
    expect(panel.get_by_text("Model saved in")).to_be_visible()
    expect(panel.get_by_text("step 3 of 3 (100%)")).to_be_visible()
    expect(panel.locator('progress[value="3"][max="3"]')).to_be_visible()
    expect(panel.get_by_label("Log (last lines)")).to_have_value(re.compile("ended: succeeded"))
    expect_charts_drawn(page, panel, 4)
    page.screenshot(path=shots / "train.png", full_page=True)
    return job_id


def on_policy_round(page, reward_model: Path, prompts: Path) -> None:
    """One on-policy round from the Train tab: the form as the last job left it, a prompt file, a reward
    model as the judge; the run is watched in the panel's table until it has finished."""
    panel = open_tab(page, "Train")
    panel.get_by_text("On-policy rounds: from prompts and a judge").click()
    panel.locator("#onpolicy-prompts input[type=file]").set_input_files(prompts)
    panel.get_by_role("radio", name=re.compile("^Reward model")).check()
    panel.get_by_label("Reward model or judge model", exact=True).fill(str(reward_model))
    panel.get_by_label("Rounds", exact=True).fill("1")
    panel.get_by_label("Answers per prompt", exact=True).fill("2")
    panel.get_by_role("button", name="Start on-policy rounds").click()
    shown(page, panel.get_by_text(re.compile(r"^On-policy run \d+ started")))
    runs = panel.locator("#onpolicy-runs")
    deadline = time.time() + TRAINING_TIMEOUT_MS / 1000
    while "succeeded" not in runs.inner_text():
        assert "failed" not in runs.inner_text() and time.time() < deadline, runs.inner_text()
        panel.get_by_role("button", name="Refresh runs").click()
        settle(panel)
        time.sleep(1)


def compare_vote_export(page, model: Path, job_id: int, shots: Path) -> None:
    panel = open_tab(page, "Compare")
    panel.get_by_role("button", name="Refresh jobs").click()
    choose(page, panel.get_by_label("Aligned model", exact=True), f"job {job_id} · dpo")
    settle(panel)
    type_choice(panel.get_by_label("Reference model", exact=True), str(model))
    panel.get_by_text("Sampling (identical for both sides)").click()
    set_slider(panel, "Max new tokens", NEW_TOKENS)
    panel.get_by_label("Prompt", exact=True).fill("What is 2 + 3?")
    panel.get_by_role("button", name="Send", exact=True).click()
    shown(page, panel.get_by_text("Vote for the better answer, or rate"))
    answers = []
    for side, name in (("a", model.name), ("b", f"job {job_id}")):
        chat = page.locator(f"#arena-chat-{side}")
        expect(chat).to_contain_text(name)
        expect(chat).to_contain_text("What is 2 + 3?")
        expect(chat.get_by_test_id("bot")).to_have_count(1)
        answers.append(chat.get_by_test_id("bot").inner_text())
    # The job's learning rate is high enough to change the tiny model's answer: a vote needs two answers.
    assert answers[0] != answers[1], answers

    panel.get_by_role("radio", name="B is better").check()
    shown(page, panel.get_by_text("You preferred B. Recorded."))
    panel.get_by_role("radio", name="Votes → preference pairs (for DPO)").check()
    panel.get_by_label("Save as", exact=True).fill("browser-votes")
    panel.get_by_role("button", name="Export to catalog").click()
    shown(page, panel.get_by_text(re.compile(r"^Saved browser-votes: \d+ preference rows")))
    page.screenshot(path=shots / "compare.png", full_page=True)

    data = open_tab(page, "Data")
    data.get_by_role("button", name="Refresh list").click()
    expect(data.get_by_role("grid").last).to_contain_text("browser-votes")


def evaluate(page, model: Path, job_id: int, prompts: Path, shots: Path) -> None:
    panel = open_tab(page, "Evaluate")
    panel.get_by_role("button", name="Refresh", exact=True).click()
    choose(page, panel.get_by_label("Aligned model", exact=True), f"job {job_id} · dpo")
    settle(panel)
    type_choice(panel.get_by_label("Reference model", exact=True), str(model))
    panel.get_by_role("button", name="Click to upload").locator("input[type=file]").set_input_files(prompts)
    # The file is on the server once the page offers it back for download.
    expect(panel.get_by_role("cell", name=prompts.name)).to_be_visible()
    expect(panel.get_by_test_id("download-link")).to_be_visible()
    set_slider(panel, "Max new tokens", NEW_TOKENS)
    panel.get_by_role("button", name="Run evaluation").click()
    shown(page, panel.get_by_text(re.compile(r"^Win rate")))
    expect(panel.get_by_text(re.compile(r"judge verifier · 4 prompts"))).to_be_visible()
    per_prompt = panel.get_by_role("grid", name="Per prompt")
    expect(per_prompt).to_contain_text("What is 7 + 1?")
    page.screenshot(path=shots / "evaluate.png", full_page=True)


def test_the_whole_flow_in_a_browser(app_page, tmp_path, tmp_path_factory, tiny_model, shots):
    page = app_page
    upload_and_save(page, preference_file(tmp_path), "browser-pairs", shots)
    recommend(page, "browser-pairs", shots)
    job_id = train(page, tiny_model, "browser-pairs", shots)
    on_policy_round(page, built_once(tmp_path_factory, "reward", build_reward_model), prompt_file(tmp_path))
    compare_vote_export(page, tiny_model, job_id, shots)
    evaluate(page, tiny_model, job_id, prompt_file(tmp_path), shots)
