"""The web app end to end in headless Chromium (Debian's, driven by Playwright).

One server for the module (offline planner, evaluator and sandbox dispatch on a small
simulated SQLite store). An operator states a goal, answers the clarifying question in the
same thread (the budget said first is kept), an approver edits the plan with the form,
rejects the next revision with a reason (the revision after it keeps the edit), a second
approver approves, and both see the results; an operator cannot approve (no button, and
both the page and ``/v1`` refuse).
Each step writes a screenshot to ``$USEROPS_SCREENS`` (default ``bench/out/screens``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.server import Site, site

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
SCREENS = Path(os.environ.get("USEROPS_SCREENS", "bench/out/screens"))
GOAL = "用WhatsApp召回90天没下单的用户，预算1000元"
expect: Any = sync_api.expect if CHROMIUM else None


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(tmp_path_factory.mktemp("web") / "home") as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


class Person:
    """A browser context for one person; remembers every URL it requested."""

    def __init__(self, browser: Any, web: Site, lang: str, width: int = 1280) -> None:
        self.ctx = browser.new_context(
            locale="zh-CN" if lang == "zh" else "en-US",
            extra_http_headers={"Accept-Language": "zh-CN,zh" if lang == "zh" else "en"},
            viewport={"width": width, "height": 900},
        )
        self.page = self.ctx.new_page()
        self.urls: list[str] = []
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.web = web

    def login(self, name: str, path: str = "/ui") -> None:
        self.page.goto(self.web.url + path)
        expect(self.page.locator("#token")).to_be_visible()
        self.page.fill("#token", self.web.tokens[name])
        self.page.click("#login")

    def shot(self, name: str) -> None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _card_id(href: str | None) -> str:
    assert href and href.startswith("/ui/approvals/"), href
    return href.rsplit("/", 1)[1].split("?")[0]


def test_goal_clarify_edit_reject_approve_results(web: Site, browser: Any) -> None:
    op = Person(browser, web, "zh")
    op.page.goto(web.url + "/ui")
    expect(op.page.locator("main")).to_contain_text("userops users add")  # how to get one
    op.shot("01-login-zh")
    op.login("olivia")
    expect(op.page).to_have_url(re.compile(r"/ui/chat$"))
    op.page.fill("#goal", GOAL)
    op.page.click("#send")
    status = op.page.locator("#status")
    expect(status).to_have_attribute("data-status", "needs_clarification", timeout=20000)
    expect(op.page.locator("#conversation li").last).to_contain_text("WhatsApp")
    progress = op.page.locator("#progress")
    expect(progress).to_contain_text("正在理解您的目标")  # plain words, not node names
    assert "intake" not in progress.inner_text()
    thread_url = op.page.url
    op.shot("02-clarifying-question")

    op.page.fill("#goal", "那就用短信")
    op.page.click("#send")
    expect(status).to_have_attribute("data-status", "awaiting_approval", timeout=20000)
    assert op.page.url == thread_url  # the answer continued the same thread
    expect(op.page.locator("#fact-budget")).to_have_text("1,000.00")  # 预算1000元 was kept
    expect(op.page.locator("#proposal")).to_contain_text("sms")
    op.shot("03-proposal-in-thread")

    aid = _card_id(op.page.locator("#card-link").get_attribute("href"))
    csrf = op.page.locator("meta[name=csrf-token]").get_attribute("content")
    expect(op.page.locator("#waiting-note")).to_be_visible()  # no message while it waits
    op.page.click("#card-link")
    expect(op.page.locator("#no-decide")).to_contain_text("ana")
    assert op.page.locator("#approve").count() == 0  # no approve button for an operator
    refused = op.page.request.post(
        f"{web.url}/ui/approvals/{aid}/decide", form={"decision": "approve", "csrf": csrf or ""}
    )
    assert refused.status == 403 and "需要审批人或管理员" in refused.text()
    api = httpx.post(
        f"{web.url}/v1/approvals/{aid}/decision",
        json={"decision": "approve"},
        headers={"Authorization": f"Bearer {web.tokens['olivia']}"},
    )
    assert api.status_code == 403, api.text
    op.shot("04-operator-sees-card-without-decision")

    ana = Person(browser, web, "en")
    ana.login("ana")
    expect(ana.page).to_have_url(re.compile(r"/ui/inbox$"))
    row = ana.page.locator(f"tr.item[data-id='{aid}']")
    expect(row).to_contain_text("olivia")
    expect(row).to_contain_text("low risk")
    ana.page.fill("#f-q", "WhatsApp")
    ana.page.click("#filter")
    expect(ana.page.locator("tr.item")).to_have_count(1)
    ana.shot("05-inbox-en")

    row.locator("a.item-link").click()
    expect(ana.page.locator("#understood")).to_contain_text("1,000")
    expect(ana.page.locator("#contract tbody tr").first).to_contain_text("SMS")
    sms = ana.page.locator(".preview-sms .sms").first
    expect(sms).to_contain_text("【")  # signature and opt-out, as the phone shows it
    expect(sms).to_contain_text("退订")
    ana.shot("06-card-en")

    ana.page.locator("#edit-box summary").click()
    ana.page.fill("#edit-budget", "800")
    ana.page.fill("#edit-holdout-0", "20")
    ana.page.fill("#edit-comment", "smaller spend")
    ana.page.click("#edit")
    expect(ana.page.locator("#decision-done")).to_be_visible(timeout=20000)
    ana.page.click("#next-card")
    expect(ana.page.locator("#diff")).to_contain_text("budget")
    expect(ana.page.locator("#diff")).to_contain_text("800")
    expect(ana.page.locator("#own-edit")).to_be_visible()  # an editor may not approve
    ana.shot("07-edited-revision-with-diff")

    ana.page.fill("#reject-reason", "缩小受众")
    ana.page.click("#reject")
    expect(ana.page.locator("#decision-done")).to_contain_text("Rejected", timeout=20000)
    ana.shot("08-rejected-with-reason")
    last = _card_id(ana.page.locator("#next-card").get_attribute("href"))

    op.page.goto(thread_url)  # the operator watches the thread while the approver decides
    expect(op.page.locator("#waiting-note")).to_be_visible()
    bob = Person(browser, web, "en")
    bob.login("bob", f"/ui/approvals/{last}")
    expect(bob.page.locator("#card-title")).to_be_visible()
    # revision 3 answers the reason from ana's edit, not from the goal: budget 800, 20%
    expect(bob.page.locator("#edit-budget")).to_have_value(re.compile(r"^800(\.0)?$"))
    expect(bob.page.locator("#edit-holdout-0")).to_have_value("20.0")
    bob.page.click("#approve")
    expect(bob.page.locator("#decision-done")).to_contain_text("Approved", timeout=30000)
    expect(bob.page.locator("#card-status")).to_have_text("Approved")
    bob.shot("09-approved")
    bob.page.click("#results-link")
    expect(bob.page.locator("#chart polyline")).to_have_count(2)
    expect(bob.page.locator("#chart polygon.band-0")).to_have_count(1)  # 95% interval
    expect(bob.page.locator("#chart")).to_contain_text("SIMULATED")
    expect(bob.page.locator("#by-variant tbody tr").first).to_be_visible()
    bob.shot("10-campaign-results")

    # the operator's open page followed the thread: no reload by hand
    expect(op.page.locator("#results")).to_be_visible(timeout=20000)
    assert op.page.url == thread_url
    expect(op.page.locator("#conversation")).to_contain_text("缩小受众")
    op.shot("11-thread-with-results")

    phone = Person(browser, web, "zh", width=390)
    phone.login("ana", "/ui/inbox?status=all")
    expect(phone.page.locator("tr.item").first).to_be_visible()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, width  # no sideways scrolling on a phone
    phone.shot("12-inbox-phone")
    phone.page.locator("tr.item a.item-link").first.click()
    expect(phone.page.locator("#card-title")).to_be_visible()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, width
    phone.shot("14-card-phone")
    for p in (op, ana, bob, phone):
        outside = [u for u in p.urls if not u.startswith(web.url)]
        assert outside == [], outside  # nothing from another host


def test_journey_version_graph_and_keyboard(web: Site, browser: Any) -> None:
    from tests.journeys.support import spec as journey_spec
    from userops.journeys.records import create_journey
    from userops.journeys.spec import JourneySpec

    made = create_journey(web.engine, JourneySpec.model_validate(journey_spec()), actor="olivia")
    ana = Person(browser, web, "zh")
    ana.login("ana", "/ui/inbox?kind=journey")
    ana.page.goto(web.url + "/ui/inbox?kind=journey")
    ana.page.bring_to_front()  # the page with focus: other tests' pages share the browser
    ana.page.keyboard.press("Tab")  # the first stop is the skip link, then the page
    assert ana.page.evaluate("document.activeElement.className") == "skip"
    link = ana.page.locator(f"a[href='/ui/journeys/{made['id']}/1']")
    link.focus()
    ana.page.keyboard.press("Enter")  # a real link: the keyboard opens it
    expect(ana.page.locator("#journey-graph g.node")).to_have_count(6)
    ana.shot("13-journey-version-graph")
    ana.page.click("#journey-approve")
    expect(ana.page.locator("#journey-status")).to_have_text("已批准")
