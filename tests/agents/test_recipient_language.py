"""Issue 14 item 5: copy in each recipient's language, and English that reads as English.

An English goal on a Chinese population no longer sends "【Goodlife】We miss you, 冯*": each
recipient gets the variant in their profile language (with the brand and offer of that
language), the fallback too; the card previews both languages when the audience is mixed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from agents.planning.playbooks import PERSONAS
from agents.runtime.threads import open_runtime
from tests.doubles import make_ctx, populate
from tools.content import template_variants
from tools.dispatch import build_dispatch_step
from userops.dispatch.outbox import CONTENT_ENTITY, get_record
from userops.plan import Objective
from userops.settings import Settings
from userops.store.meta import mark_simulated


def _mixed(engine: Engine, n: int = 200) -> None:
    populate(engine, n)
    with engine.begin() as conn:
        conn.execute(text("UPDATE traits SET language = 'en' WHERE user_id % 3 = 0"))
        conn.execute(text("UPDATE users SET language = 'en' WHERE id % 3 = 0"))


def _languages(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT user_id, language FROM traits")).all())


def test_each_recipient_is_assigned_copy_in_their_language(sqlite_engine):
    _mixed(sqlite_engine)
    ctx = make_ctx(sqlite_engine)
    plan = OfflinePlanner(ctx).plan(parse_goal("Win back customers, no order in 30 days"), [], None)
    step, _ = build_dispatch_step(ctx, plan, plan.steps[0], campaign_id="c")
    langs = _languages(sqlite_engine)
    got = {(langs[u], step.contents[v].language) for u, _ch, v in step.assignments}
    assert got == {("zh", "zh"), ("en", "en")}
    fills = step.metadata["fill_by_language"]
    assert fills["en"]["brand"] == "Goodlife" and fills["zh"]["brand"] == "优选生活"


def test_english_goal_on_a_chinese_population_writes_chinese(sqlite_engine):
    populate(sqlite_engine, 120)
    ctx = make_ctx(sqlite_engine)
    plan = OfflinePlanner(ctx).plan(parse_goal("Win back customers"), [], None)
    assert plan.language == "en"  # the operator's (rationale)
    assert {v.language for v in plan.steps[0].variants} == {"zh"}


@pytest.fixture
def rt(sqlite_engine: Engine, home: Path) -> Iterator[Any]:
    _mixed(sqlite_engine, 240)
    mark_simulated(sqlite_engine, "test")
    with open_runtime(settings=Settings(home=home), engine=sqlite_engine) as runtime:
        yield runtime


def test_card_previews_both_languages_and_the_fallback_follows(rt, sqlite_engine):
    res = rt.start("先推送，没打开的话一天后再发短信，召回所有用户", thread_id="t", actor="olivia")
    card = res.interrupt["action_requests"][0]["args"]
    bodies = {p["variant_id"]: p["body"] for p in card["previews"]}
    assert any(k.endswith("-en") for k in bodies) and any(not k.endswith("-en") for k in bodies)
    for vid, body in bodies.items():
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", body))
        assert has_cjk == (not vid.endswith("-en")), (vid, body)
    assert rt.resume("t", {"type": "approve"}, actor="ana").status == "completed"
    langs = _languages(sqlite_engine)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, step_id, content FROM outbox")).all()
        seen = set()
        for uid, step_id, content in rows:
            ref = json.loads(content)["ref"] if isinstance(content, str) else content["ref"]
            rec = get_record(conn, CONTENT_ENTITY, ref) or {}
            lang = rec["content"]["language"]
            assert lang == langs[uid], (uid, step_id, lang)
            brand = rec["fill"]["brand"]
            assert brand == ("Goodlife" if lang == "en" else "优选生活")
            seen.add((step_id.endswith("-fb"), lang))
    assert {(True, "en"), (True, "zh"), (False, "en"), (False, "zh")} <= seen


SENTENCE_START = re.compile(r"[.!?] +[a-z]")


@pytest.mark.parametrize("objective", [o.value for o in Objective] + ["win_back_churned"])
def test_english_templates_read_as_sentences(objective):
    channels = ["sms", "app_push", "email", "voice_call", "wecom"]
    for tone in (None, "friendly"):
        for v in template_variants("en", objective, list(PERSONAS), channels, tone=tone):
            texts = [v.body, v.title or "", v.subject or ""]
            if v.script:
                texts += [v.script.opening, v.script.close, *(b.reply for b in v.script.branches)]
            for t in texts:
                assert "，" not in t and "  " not in t, t
                assert not SENTENCE_START.search(t), t  # a sentence starts with a capital
                assert ", Your" not in t and "offer {offer}" not in t, t
            if v.channel in ("sms", "app_push", "email"):
                assert re.search(r"[.!?]$", v.body.split("\n\n")[0]), v.body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_offer_and_brand_is_filled_as_written(language):
    """A value the send-time cleaning refuses (too many words) would become "专属优惠"."""
    from tools.content import templates
    from userops.dispatch.clean import refusal

    t = templates(language)
    assert refusal("brand", t["brand"]) is None
    assert {k: refusal("offer", v) for k, v in t["offers"].items() if refusal("offer", v)} == {}
