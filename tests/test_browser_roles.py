"""Each role sees its own pages in a real browser: a rater only Rate, a trainer the flow, an admin People.

The pages are only for the eye (tests/test_app_accounts.py checks that the server refuses), but
they must load cleanly for every role.
"""

import os

import pytest
from conftest import serve_app
from playwright.sync_api import expect, sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "browser password"
FLOW = ["Data", "Algorithm", "Train", "Compare", "Evaluate"]

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                       reason=f"{CHROMIUM} is missing: install Debian's chromium package to run the browser test"),
]


def test_each_role_sees_its_own_pages(tmp_path, monkeypatch):
    from alignui.people import accounts

    monkeypatch.setenv("ALIGNUI_HOME", str(tmp_path))
    for name, role in (("rae", "rater"), ("ada", "trainer"), ("root", "admin")):
        accounts.add(name, role, PASSWORD)
    with serve_app(tmp_path) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for name, shown, hidden in (("rae", ["Rate"], [*FLOW, "People"]),
                                        ("ada", [*FLOW, "Rate"], ["People"]),
                                        ("root", [*FLOW, "Rate", "People"], [])):
                context = browser.new_context()
                page = context.new_page()
                assert page.request.post(url + "login", form={"username": name, "password": PASSWORD}).ok
                page.goto(url)
                # Every tab is drawn first, then the page-load event hides those of other roles.
                expect(page.get_by_role("tab", name="Rate", exact=True)).to_be_visible(timeout=60_000)
                for tab in hidden:
                    expect(page.get_by_role("tab", name=tab, exact=True)).to_have_count(0, timeout=60_000)
                for tab in shown:
                    expect(page.get_by_role("tab", name=tab, exact=True)).to_be_visible(timeout=60_000)
                if name == "rae":
                    expect(page.get_by_role("tab", name="Rate", exact=True)).to_have_attribute(
                        "aria-selected", "true", timeout=60_000)
                    expect(page.get_by_label("Prompt set")).to_be_visible(timeout=60_000)
                    expect(page.get_by_text("Assign prompts to raters")).to_have_count(0, timeout=60_000)
                context.close()
        finally:
            browser.close()
