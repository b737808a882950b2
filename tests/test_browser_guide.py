"""The in-app first-run guide, followed to the letter in a real browser (Debian's Chromium driven by
Playwright against a real `python app.py`): each step's words are read from the page, only what they
name is clicked, and the Evaluate tab's own numbers must show the lift on the demo's held-out problems.
A full-page screenshot of each tab goes to $ALIGNUI_SCREENSHOTS when set (the README's pictures).

If the guide is reworded, the step whose words are gone fails here first: the test then needs the
new wording, never a guess at what the guide meant.
"""

import re

import pytest
from conftest import ROOT
from playwright.sync_api import expect
from test_browser import app_page, choose, open_tab, settle, shots, shown  # noqa: F401 (fixtures)

DEMO = ROOT / "assets" / "demo"
#: The demo recipe trains 3 epochs (about 180 steps) at batch 64 (a few minutes on two free cores, much more on busy ones).
TRAINING_TIMEOUT_MS = 900_000
#: 500 held-out problems, both models, greedy.
EVALUATION_TIMEOUT_MS = 300_000
#: The pickers' entry for the demo model (a finished job's entry also names the demo, as what it trained from).
THE_DEMO_MODEL = re.compile(r"^demo: ")
#: The lift the demo's DPO recipe must show on the held-out problems, in accuracy points.
MIN_LIFT_POINTS = 15

pytestmark = pytest.mark.timeout(1500)


def guide(page) -> list[str]:
    """The guide's numbered steps as the page shows them."""
    page.get_by_text("First run? Walk the whole loop with the offline demo").click()
    steps = page.get_by_role("listitem").filter(has_text=re.compile(r"^(Data|Algorithm|Train|Compare|Feedback|"
                                                                     r"Evaluate):"))
    expect(steps).to_have_count(6)
    return [" ".join(text.split()) for text in steps.all_inner_texts()]


def says(step: str, *phrases: str) -> None:
    """The step names each thing the test is about to do, in these words."""
    missing = [phrase for phrase in phrases if phrase not in step]
    assert not missing, f"the guide's step no longer says {missing}: {step!r}"


def test_the_first_run_guide_lifts_held_out_accuracy(app_page, shots):  # noqa: F811
    page = app_page
    data, algorithm, train, compare, feedback, evaluate = guide(page)

    # 1. Data: upload the pairs, check the rows, save them under the guide's name.
    says(data, "upload assets/demo/preference.jsonl", "check the rows", "save it as demo-pairs")
    panel = open_tab(page, "Data")
    panel.get_by_role("button", name="Click to upload").locator("input[type=file]").set_input_files(
        DEMO / "preference.jsonl")
    shown(page, panel.get_by_text("Type: preference"))
    expect(panel.get_by_text(re.compile(r"· 0 skipped"))).to_be_visible()
    expect(panel.get_by_role("grid", name=re.compile("Preview"))).to_contain_text("user:")
    panel.get_by_label("Save as", exact=True).fill("demo-pairs")
    panel.get_by_role("button", name="Save to catalog").click()
    shown(page, panel.get_by_text(re.compile(r"^Saved demo-pairs")))
    page.screenshot(path=shots / "data.png", full_page=True)

    # 2. Algorithm: pick the saved pairs; the checklist ranks the algorithms.
    says(algorithm, "pick demo-pairs")
    panel = open_tab(page, "Algorithm")
    choose(page, panel.get_by_label("Dataset", exact=True), "demo-pairs")
    settle(panel)
    page.screenshot(path=shots / "algorithm.png", full_page=True)

    # 3. Train: the demo recipe, loaded with one click, launched, watched to the end.
    says(train, "pick the demo recipe dpo", "click Load demo recipe", "then Launch")
    panel = open_tab(page, "Train")
    choose(page, panel.get_by_label("Demo recipe", exact=True), "dpo")
    panel.get_by_role("button", name="Load demo recipe").click()
    settle(panel)
    panel.get_by_role("button", name="Launch", exact=True).click()
    launched = shown(page, panel.get_by_text(re.compile(r"^Job \d+ (queued|running)")))
    job_id = int(re.search(r"Job (\d+)", launched.inner_text()).group(1))
    expect(panel.get_by_text(re.compile(rf"^Job {job_id} · "))).to_contain_text(
        "succeeded", timeout=TRAINING_TIMEOUT_MS)
    expect(panel.get_by_text("Reward margin (chosen − rejected)").first).to_be_visible()
    page.screenshot(path=shots / "train.png", full_page=True)

    # 4. Compare: the demo model against the finished job, one sum, one vote.
    says(compare, "reference = the demo model", "aligned = the finished job", "ask 17+25=", "vote")
    panel = open_tab(page, "Compare")
    choose(page, panel.get_by_label("Reference model", exact=True), THE_DEMO_MODEL)
    choose(page, panel.get_by_label("Aligned model", exact=True), f"job {job_id} · dpo")
    settle(panel)
    panel.get_by_label("Prompt", exact=True).fill("17+25=")
    panel.get_by_role("button", name="Send", exact=True).click()
    shown(page, panel.get_by_text("Vote for the better answer, or rate"))
    answers = {side: page.locator(f"#arena-chat-{side}").get_by_test_id("bot").inner_text().strip()
               for side in ("a", "b")}
    right = {side for side, answer in answers.items() if answer.split()[:1] == ["42"]}
    vote = {frozenset("a"): "A is better", frozenset("b"): "B is better", frozenset("ab"): "Tie"}.get(
        frozenset(right), "Both are bad")
    panel.get_by_role("radio", name=vote).check()
    shown(page, panel.get_by_text("Recorded."))

    # 5. Feedback: export the votes; continue training needs pairs, which a tie or both-bad vote is not.
    says(feedback, "export your votes", "to the catalog", "continue training")
    panel.get_by_role("button", name="Export to catalog").click()
    if vote in ("A is better", "B is better"):
        shown(page, panel.get_by_text(re.compile(r"^Saved .*: 1 preference rows")))
        panel.get_by_role("button", name="Continue training on this feedback").click()
        shown(page, panel.get_by_label("Training recipe (the Train tab's spec), ready to copy"))
    else:
        shown(page, panel.get_by_text(re.compile(r"Nothing exported: .*make no pairs")))
    page.screenshot(path=shots / "compare.png", full_page=True)

    # 6. Evaluate: both models on the held-out problems, judged by the verifier; the page's numbers.
    says(evaluate, "reference = the demo model", "aligned = the finished job",
         "prompt file assets/demo/heldout.jsonl", "judge verifier")
    panel = open_tab(page, "Evaluate")
    choose(page, panel.get_by_label("Reference model", exact=True), THE_DEMO_MODEL)
    choose(page, panel.get_by_label("Aligned model", exact=True), f"job {job_id} · dpo")
    settle(panel)
    panel.get_by_role("button", name="Click to upload").locator("input[type=file]").set_input_files(
        DEMO / "heldout.jsonl")
    expect(panel.get_by_test_id("download-link")).to_be_visible()
    expect(panel.get_by_role("radio", name=re.compile("^Verifier"))).to_be_checked()
    panel.get_by_role("button", name="Run evaluation").click()
    accuracy = shown(page, panel.get_by_text(re.compile(r"^Accuracy: reference")), timeout=EVALUATION_TIMEOUT_MS)
    expect(panel.get_by_text(re.compile(r"judge verifier · 500 prompts"))).to_be_visible()
    reference, aligned = map(float, re.findall(r"([\d.]+)%", accuracy.inner_text()))
    # The leaderboard follows the new evaluation without a click: both models, each with a rating.
    expect(page.locator("#leaderboard")).to_contain_text(re.compile(r"\d{3,4}\.\d+"))
    page.screenshot(path=shots / "evaluate.png", full_page=True)
    assert aligned - reference >= MIN_LIFT_POINTS, f"accuracy {reference}% → {aligned}%"
