"""The approval card's preview shows the unsubscribe link that is sent, not a placeholder host.

Previews used to fill ``{unsubscribe_url}`` with ``https://u.userops.invalid/unsubscribe/…``
while the worker sends ``USEROPS_PUBLIC_URL/unsubscribe/<token>``: an approver could not see
the real link (nor that the public URL is misconfigured).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from agents.nodes.card import previews
from tests.dispatch.doubles import RecordingAdapter
from tests.dispatch.factory import add_users, step
from userops.dispatch.engine import enqueue
from userops.dispatch.feedback import unsubscribe
from userops.dispatch.models import MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.settings import get_settings

DAY_TS = 1779933600  # 10:00 in Asia/Shanghai: inside the sending hours
PUBLIC = "https://ops.shop.example"
EMAIL = MessageContent(
    variant_id="e1",
    channel="email",
    subject="{name}，新教程上线",
    body="新教程上线。退订：{unsubscribe_url}",
    html='<p>新教程上线</p><a href="{unsubscribe_url}">退订</a>',
)


def test_preview_shows_the_recipients_own_link(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USEROPS_PUBLIC_URL", PUBLIC)
    get_settings.cache_clear()
    users = add_users(sqlite_engine, 2, consent=("email",))
    s = step(users, campaign="c9", channel="email", contents={"e1": EMAIL})
    shown = {p["sample_user"]["user_id"]: p for p in previews(sqlite_engine, [s])}
    enqueue(sqlite_engine, s, policy=Policy(), now_ts=DAY_TS)
    adapter = RecordingAdapter("email")
    Worker(sqlite_engine, {"email": adapter}, policy=Policy(), clock=lambda: DAY_TS).run()
    sent = {m.user_id: m.content["body"] for m in adapter.seen}
    [uid] = shown  # one sample per variant
    body = shown[uid]["body"]
    assert ".invalid" not in body and body == sent[uid]
    link = body.rpartition("：")[2]
    assert link.startswith(PUBLIC + "/unsubscribe/")
    token = link.rpartition("/")[2]
    got = unsubscribe.verify(token, unsubscribe.signing_key())
    assert (got.user_id, got.channel, got.campaign_id) == (uid, "email", "c9")
