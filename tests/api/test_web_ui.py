"""End to end in headless Chromium (Debian's chromium driven by Playwright, no download)."""

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _login(page: Any, url: str, token: str, lang: str, hash_: str) -> None:
    page.goto(f"{url}/ui#{hash_}")
    page.select_option("#lang", lang)
    page.fill("#token", token)
    page.click("#save")


def test_operator_chat_approver_inbox_and_campaign_chart(
    site: tuple[str, dict[str, str]], browser: Any, sqlite_engine: Engine
) -> None:
    url, tokens = site
    expect = sync_api.expect
    op = browser.new_context().new_page()
    _login(op, url, tokens["olivia"], "zh", "chat")
    expect(op.locator("header a").first).to_have_text("审批收件箱")
    op.fill("#goal", "win back")
    op.click("#send")
    expect(op.locator("#status")).to_have_text("awaiting_approval", timeout=20000)
    assert op.locator("#log li.progress").count() >= 3

    ap = browser.new_context().new_page()
    _login(ap, url, tokens["ana"], "en", "inbox")
    expect(ap.locator("header a").first).to_have_text("Approver inbox")
    ap.locator(".item").first.click()
    expect(ap.locator("#card-title")).to_have_text("tiny win-back")
    # previews rendered as the recipient sees them: an SMS bubble with the filled-in text
    expect(ap.locator(".sms").first).to_contain_text(re.compile(r"Hi .+, (offer|tutorial) for you"))
    ap.fill("#comment", "looks right")
    ap.click("#approve")
    expect(ap.locator("#items")).to_contain_text("Nothing pending", timeout=20000)
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, decided_by, comment, campaign_id FROM approvals")
        ).one()
    assert (row.status, row.decided_by, row.comment) == ("approved", "ana", "looks right")

    ap.goto(f"{url}/ui#campaign/{row.campaign_id}")
    expect(ap.locator("#chart polyline.line-treatment")).to_have_count(1)
    expect(ap.locator("#chart polyline.line-holdout")).to_have_count(1)
    expect(ap.locator("#legend")).to_contain_text("Treatment")


def test_operator_cannot_decide_in_the_ui(site: tuple[str, dict[str, str]], browser: Any) -> None:
    url, tokens = site
    page = browser.new_context().new_page()
    _login(page, url, tokens["olivia"], "en", "chat")
    page.fill("#goal", "win back")
    page.click("#send")
    sync_api.expect(page.locator("#status")).to_have_text("awaiting_approval", timeout=20000)
    page.goto(f"{url}/ui#inbox")
    page.locator(".item").first.click()
    page.click("#approve")
    sync_api.expect(page.locator("#msg")).to_contain_text("role operator", timeout=10000)
