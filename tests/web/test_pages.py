"""The web pages without a browser: sign-in, language, CSRF, refusals, journeys, charts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from starlette.requests import Request

from agents.evaluation.journey import JourneyEvaluator, default_forecaster
from agents.planning.journey.propose import propose_journey
from tests.agents.loop_doubles import make_deps, seed_users
from tests.journeys.support import spec as journey_spec
from tests.web.conftest import PEOPLE, Web, csrf_of
from userops.accounts import add_user
from userops.api.app import create_app
from userops.api.web import CSP, pick_language
from userops.api.web_data.card import apply_edit
from userops.api.web_data.charts import Series, bar_chart, line_chart
from userops.dispatch.policy import Policy
from userops.errors import BadInput
from userops.journeys.records import create_journey
from userops.journeys.spec import JourneySpec
from userops.settings import Settings
from userops.store.models import AuditLog, utcnow


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "path": "/ui", "query_string": b""})


def _gate(web: Web, thread_id: str = "t-web1") -> str:
    c = web.client()
    r = c.post(
        "/v1/threads",
        json={"goal": "win back", "thread_id": thread_id},
        headers={"Authorization": f"Bearer {web.tokens['olivia']}"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["approval_id"])


def test_no_token_goes_to_a_login_page_that_says_how_to_get_one(web: Web) -> None:
    c = web.client("zh")
    r = c.get("/ui/inbox?status=all")
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/login?next=%2Fui%2Finbox%3Fstatus%3Dall"
    page = c.get(r.headers["location"]).text
    assert "userops users add" in page and "如何获得令牌" in page
    assert 'value="/ui/inbox?status=all"' in page
    bad = c.post("/ui/login", data={"token": "nope", "next": "/ui/inbox"})
    assert bad.status_code == 401 and "令牌无效" in bad.text
    en = web.client("en").post("/ui/login", data={"token": "nope"})
    assert "That token is not valid" in en.text


def test_sign_in_keeps_the_token_in_an_httponly_cookie_and_goes_back(web: Web) -> None:
    c = web.client()
    r = c.post("/ui/login", data={"token": web.tokens["ana"], "next": "/ui/campaigns"})
    assert r.status_code == 303 and r.headers["location"] == "/ui/campaigns"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert c.get("/ui").headers["location"] == "/ui/inbox"  # approvers start in the inbox
    far = c.post("/ui/login", data={"token": web.tokens["ana"], "next": "https://evil.example/"})
    assert far.headers["location"] == "/ui"  # never sent to another host
    out = c.post("/ui/logout")
    assert out.status_code == 303 and c.get("/ui/inbox").status_code == 303


def test_language_from_cookie_then_accept_language() -> None:
    assert pick_language(_request({"Accept-Language": "en;q=0.5, zh-CN;q=0.9"})) == "zh"
    assert pick_language(_request({"Accept-Language": "fr, en-GB;q=0.8"})) == "en"
    assert pick_language(_request({"Accept-Language": "fr"})) == "zh"
    cookie = {"Accept-Language": "zh", "Cookie": "lang=en"}
    assert pick_language(_request(cookie)) == "en"


def test_language_switch_changes_every_line(web: Web) -> None:
    c = web.signed_in("ana", "zh")
    assert "审批收件箱" in c.get("/ui/inbox").text
    r = c.get("/ui/lang/en", params={"next": "/ui/inbox"})
    assert r.status_code == 303 and r.headers["location"] == "/ui/inbox"
    page = c.get("/ui/inbox").text
    assert "Approver inbox" in page and "审批收件箱" not in page


def test_pages_allow_only_their_own_host(web: Web) -> None:
    c = web.signed_in("ana")
    r = c.get("/ui/inbox")
    assert r.headers["content-security-policy"] == CSP and "default-src 'self'" in CSP
    assert "http://" not in r.text and "https://" not in r.text
    js = c.get("/ui/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert c.get("/ui/static/other.js").status_code == 404


def test_posts_need_the_csrf_value(web: Web) -> None:
    c = web.signed_in("olivia")
    assert c.post("/ui/chat/t-x1/send", data={"text": "win back"}).status_code == 403
    assert c.post("/ui/chat/t-x1/stream", json={"text": "win back"}).status_code == 403
    aid = _gate(web)
    ana = web.signed_in("ana")
    r = ana.post(f"/ui/approvals/{aid}/decide", data={"decision": "approve", "csrf": "0" * 32})
    assert r.status_code == 403


def test_an_operator_sees_the_card_but_cannot_decide_it(web: Web) -> None:
    aid = _gate(web)
    c = web.signed_in("olivia", "zh")
    card = c.get(f"/ui/approvals/{aid}").text
    assert 'id="approve"' not in card and "ana, bob" in card
    csrf = csrf_of(c.get("/ui/chat").text)
    r = c.post(f"/ui/approvals/{aid}/decide", data={"decision": "approve", "csrf": csrf})
    assert r.status_code == 403 and "需要审批人或管理员" in r.text
    api = c.post(
        f"/v1/approvals/{aid}/decision",
        json={"decision": "approve"},
        headers={"Authorization": f"Bearer {web.tokens['olivia']}"},
    )
    assert api.status_code == 403


def test_reject_needs_a_reason_and_another_operators_thread_is_not_found(web: Web) -> None:
    aid = _gate(web)
    ana = web.signed_in("ana")
    csrf = csrf_of(ana.get(f"/ui/approvals/{aid}").text)
    r = ana.post(f"/ui/approvals/{aid}/decide", data={"decision": "reject", "csrf": csrf})
    assert r.status_code == 422 and "comment" in r.text
    oscar = web.signed_in("oscar")
    assert oscar.get("/ui/chat/t-web1").status_code == 404
    assert "t-web1" not in oscar.get("/ui/chat").text  # not in his thread list either


def test_the_edit_form_becomes_the_plan() -> None:
    plan: dict[str, Any] = {
        "budget": 100.0,
        "steps": [
            {
                "segment": {"limit": None},
                "holdout_share": 0.1,
                "channel_rule": {"preferred": ["sms", "email"]},
                "variants": [{"variant_id": "a", "channel": "sms", "body": "hi", "subject": None}],
            }
        ],
    }
    form = {"budget": "80", "step.0.holdout": "25", "step.0.limit": "500"}
    form["variant.0.0.body"] = "hello {name}"
    out = apply_edit(plan, form, {"step.0.channels": ["email", "app_push", "bogus"]})
    step = out["steps"][0]
    assert out["budget"] == 80.0 and step["holdout_share"] == 0.25
    assert step["segment"]["limit"] == 500 and step["variants"][0]["body"] == "hello {name}"
    assert step["channel_rule"]["preferred"] == ["email", "app_push"]
    assert plan["budget"] == 100.0  # the card's plan is not changed in place
    with pytest.raises(BadInput) as err:
        apply_edit(plan, {"step.0.holdout": "60"}, {})
    assert err.value.problems[0].field == "step.0.holdout"
    with pytest.raises(BadInput) as err:
        apply_edit(plan, {"budget": "lots"}, {})
    assert err.value.problems[0].field == "budget"


def test_a_journey_version_is_in_the_inbox_with_its_graph(web: Web) -> None:
    made = create_journey(web.engine, JourneySpec.model_validate(journey_spec()), actor="olivia")
    jid = made["id"]
    with web.engine.begin() as conn:  # what `userops journeys propose` records
        conn.execute(
            insert(AuditLog).values(
                at=utcnow(), actor="olivia", action="journey.propose", entity_type="journey",
                entity_id=jid, detail={"version": 1, "goal": "welcome new sign-ups",
                                       "findings": [{"message": "no holdout"}], "assumed": []},
            )
        )  # fmt: skip
    ana = web.signed_in("ana")
    inbox = ana.get("/ui/inbox").text
    assert f"/ui/journeys/{jid}/1" in inbox and "welcome" in inbox
    page = ana.get(f"/ui/journeys/{jid}/1").text
    assert page.count('<g class="node') == 6 and page.count('marker-end="url(#arrow)"') == 5
    assert "timed out" in page  # the wait-for-event's labelled edge
    assert "welcome new sign-ups" in page and "no holdout" in page  # the agent's proposal
    csrf = csrf_of(page)
    r = ana.post(f"/ui/journeys/{jid}/1/decide", data={"decision": "approve", "csrf": csrf})
    assert r.status_code == 303
    assert "journey-approve" not in ana.get(f"/ui/journeys/{jid}/1").text
    assert f"/ui/journeys/{jid}/1" not in ana.get("/ui/inbox").text  # no longer pending


def test_charts_have_axes_legend_band_and_escape_labels() -> None:
    s = Series("<b>arm</b>", [(1, 0.1), (2, 0.2)], [(1, 0.05, 0.15), (2, 0.1, 0.3)])
    svg = str(line_chart([s], title="t", x_label="day", y_label="rate", simulated="SIMULATED"))
    assert "<b>" not in svg and "&lt;b&gt;arm" in svg
    assert 'class="band band-0"' in svg and "SIMULATED" in svg and "c-axis" in svg
    assert "30%" in svg or "40%" in svg  # a y tick above the highest interval
    bars = str(bar_chart(["d1", "d2"], {"sms": [3, 0], "email": [1, 2]}, title="x",
                         x_label="d", y_label="n"))  # fmt: skip
    assert bars.count('class="bar"') == 3


HOSTILE = ["a" * 10_000, "a\x00b", "<script>x</script>", str(2**64), "-1", "NaN", "ä" * 3000, ""]


def test_hostile_values_in_pages_and_forms_get_no_server_error(web: Web) -> None:
    aid = _gate(web)
    ana, olivia = web.signed_in("ana"), web.signed_in("olivia")
    csrf = csrf_of(ana.get(f"/ui/approvals/{aid}").text)
    op_csrf = csrf_of(olivia.get("/ui/chat").text)
    codes = set()
    for v in HOSTILE:
        short = quote(v[:200] or "x", safe="")
        for c, url, params in (
            (ana, "/ui/inbox", {"q": v, "status": v[:50], "risk": v[:50], "kind": v[:50]}),
            (ana, f"/ui/campaigns/{short}", {"metric": v[:50], "days": "3"}),
            (ana, f"/ui/approvals/{short}", {"done": v[:50]}),
            (ana, f"/ui/journeys/{short}/{short}", {}),
            (olivia, f"/ui/chat/{short}", {}),
        ):
            r = c.get(url, params=params)
            codes.add(r.status_code)
            assert r.status_code < 500, (url[:80], r.status_code)
            if r.headers["content-type"].startswith("text/html"):
                assert "<script>x" not in r.text  # escaped wherever a page shows it
        form = {"decision": "edit", "csrf": csrf, "comment": v, "budget": short}
        form |= {"step.0.holdout": short, "variant.0.0.body": v}
        r = ana.post(f"/ui/approvals/{aid}/decide", data=form)
        codes.add(r.status_code)
        assert r.status_code < 500 and "<script>x" not in r.text, r.status_code
        assert r.headers["content-type"].startswith("text/html")  # the card, with the error
        r = olivia.post("/ui/chat/t-hostile/send", data={"text": v, "csrf": op_csrf})
        assert r.status_code < 500, r.status_code
    assert {200, 404, 422} <= codes


def test_respond_sends_a_comment_to_the_thread(web: Web) -> None:
    aid = _gate(web)
    ana = web.signed_in("ana")
    csrf = csrf_of(ana.get(f"/ui/approvals/{aid}").text)
    form = {"decision": "respond", "csrf": csrf, "comment": "Why this audience?"}
    r = ana.post(f"/ui/approvals/{aid}/decide", data=form)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=respond")
    assert "Comment sent." in ana.get(r.headers["location"]).text
    thread = web.signed_in("olivia").get("/ui/chat/t-web1").text
    assert "Why this audience?" in thread  # the operator reads it in the same thread


JOURNEY_GOAL = "注册后1天推送上手教程，3天内没下单再发短信首单优惠，下单即退出"


def test_a_journey_proposal_is_shown_in_its_chat_thread(sqlite_engine: Engine, home: Path) -> None:
    """Before: the thread said ``状态：journey_proposed`` and showed no proposal or link."""
    seed_users(sqlite_engine, 30)
    tokens = {n: add_user(sqlite_engine, n, r)[1] for n, r in PEOPLE.items()}
    ev = JourneyEvaluator(sqlite_engine, Policy.with_overrides({}), forecaster=default_forecaster())

    def propose(goal: str, actor: str) -> dict[str, Any]:
        return propose_journey(sqlite_engine, goal, actor=actor, evaluator=ev)

    deps = make_deps(sqlite_engine, propose_journey=propose)
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, loop_deps=deps)
    with TestClient(app):
        web = Web(app, sqlite_engine, tokens)
        zh = web.signed_in("olivia", "zh")
        csrf = csrf_of(zh.get("/ui/chat").text)
        r = zh.post("/ui/chat/t-j1/send", data={"text": JOURNEY_GOAL, "csrf": csrf})
        assert r.status_code == 303, r.text
        page = zh.get("/ui/chat/t-j1").text
        assert 'data-status="journey_proposed"' in page and "已提出旅程方案" in page
        m = re.search(
            r'<a href="(/ui/journeys/([0-9a-f]+)/1)" id="journey-link">打开旅程卡片', page
        )
        assert m, page
        assert "旅程方案：" in page and '<p id="journey-state">待审批</p>' in page
        assert "触发：事件触发 · Signed Up" in page  # the trigger and the event it names
        steps = re.search(r'<ol id="journey-steps">(.*?)</ol>', page, re.S)
        assert steps, page
        assert steps.group(1).count("<li>") == 6
        assert "发送 · App 推送" in steps.group(1) and "发送 · 短信" in steps.group(1)
        assert "等待事件 · Order Completed ≤ 3d" in steps.group(1)
        assert "预测（90天回测）：每天约" in page
        en = web.signed_in("ana", "en").get("/ui/chat/t-j1").text
        assert "Journey proposal:" in en and "Open the journey&#39;s card" in en
        assert "Forecast (90-day backtest)" in en and "waits for an approver" in en
        assert "Trigger: event trigger · Signed Up" in en and "send · Push" in en
        assert web.signed_in("ana").get(m.group(1)).status_code == 200  # the card exists
