"""An ingested opt-out (Segment's ``Unsubscribed``, RudderStack's ``Email Unsubscribed``)
withdraws the channel's consent with the event, so the next dispatch suppresses the user.

It used to be stored as a ``message_opted_out`` event only: the consent stayed granted and
the next campaign still sent. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from tests.cdp.stream.support import rows, send, sender, snapshot
from tests.dispatch.factory import add_users, sms, step
from userops.dispatch.engine import enqueue
from userops.dispatch.models import MessageContent
from userops.dispatch.policy import Policy

T = "2026-11-01T10:00:00Z"
T_TS = 1793527200
DAY_TS = 1779933600  # 10:00 in Asia/Shanghai: inside the sending hours
EMAIL = MessageContent(
    variant_id="e1",
    channel="email",
    subject="新教程",
    body="新教程 {unsubscribe_url}",
    html='<p>新教程</p><a href="{unsubscribe_url}">退订</a>',
)


def _track(user: int, event: str, mid: str, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "userId": f"u{user}", "event": event, "messageId": mid,
            "timestamp": T, **fields}  # fmt: skip


def _consents(engine: Engine) -> dict[tuple[int, str], tuple[str, str | None, int]]:
    return {
        (c["user_id"], c["channel"]): (c["status"], c["source"], int(c["ts"]))
        for c in rows(engine, "consents")
    }


def _next_dispatch(engine: Engine, users: list[int], channel: str, campaign: str) -> dict[int, Any]:
    contents = {"e1": EMAIL} if channel == "email" else {"v1": sms()}
    enqueue(engine, step(users, campaign=campaign, channel=channel, contents=contents),
            policy=Policy(), now_ts=DAY_TS)  # fmt: skip
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT user_id, state, reason FROM outbox WHERE campaign_id = :c"),
            {"c": campaign},
        ).all()
    return {int(r[0]): (r[1], r[2]) for r in got}


def test_unsubscribed_withdraws_consent_and_the_next_dispatch_suppresses(
    any_engine: Engine,
) -> None:
    users = add_users(any_engine, 6, consent=("email", "sms"))
    crm = sender(any_engine, "esp-events", "web")
    out = send(
        any_engine,
        crm,
        _track(1, "Unsubscribed", "m1", properties={"list_id": "1425"}),  # no channel: email
        _track(2, "Email Unsubscribed", "m2", context={"channel": "server"}),  # library channel
        _track(3, "Unsubscribed", "m3", properties={"channel": "sms"}),
        _track(4, "Unsubscribed", "m4", context={"channel": "SMS"}),
        _track(5, "message_opted_out", "m5"),  # the store type, no channel: an event only
    )
    assert (out.stored, out.rejected) == (5, [])
    withdrawn = ("withdrawn", "esp-events", T_TS)
    granted = ("granted", "test", 1)
    assert _consents(any_engine) == {
        (1, "email"): withdrawn, (1, "sms"): granted,
        (2, "email"): withdrawn, (2, "sms"): granted,
        (3, "email"): granted, (3, "sms"): withdrawn,
        (4, "email"): granted, (4, "sms"): withdrawn,
        (5, "email"): granted, (5, "sms"): granted,
        (6, "email"): granted, (6, "sms"): granted,
    }  # fmt: skip
    events = {(e["user_id"], e["type"], e["channel"]) for e in rows(any_engine, "events")}
    assert events == {(1, "message_opted_out", "email"), (2, "message_opted_out", "email"),
                      (3, "message_opted_out", "sms"), (4, "message_opted_out", "sms"),
                      (5, "message_opted_out", None)}  # fmt: skip
    audit = [a for a in rows(any_engine, "audit") if a["action"] == "consent.set"]
    assert {(a["entity_id"], a["detail"]["event"], a["detail"]["message_id"]) for a in audit} == {
        ("1:email", "Unsubscribed", "m1"),
        ("2:email", "Email Unsubscribed", "m2"),
        ("3:sms", "Unsubscribed", "m3"),
        ("4:sms", "Unsubscribed", "m4"),
    }
    assert {a["actor"] for a in audit} == {"ingest"}
    assert {a["detail"]["old"]["status"] for a in audit} == {"granted"}
    before = snapshot(any_engine)
    send(any_engine, crm, _track(1, "Unsubscribed", "m1"))  # a retry changes nothing
    assert snapshot(any_engine) == before
    assert _next_dispatch(any_engine, users, "email", "c-mail") == {
        1: ("suppressed", "consent"), 2: ("suppressed", "consent"),
        3: ("pending", None), 4: ("pending", None), 5: ("pending", None), 6: ("pending", None),
    }  # fmt: skip
    assert {u: s for u, (s, _) in _next_dispatch(any_engine, users, "sms", "c-sms").items()} == {
        1: "pending",
        2: "pending",
        3: "suppressed",
        4: "suppressed",
        5: "pending",
        6: "pending",
    }


def test_an_opt_out_at_the_time_of_a_grant_wins(any_engine: Engine) -> None:
    """As imported and provider opt-outs: at an equal time the withdrawal is the safe reading."""
    add_users(any_engine, 1, consent=())
    app = sender(any_engine, "shop-app", "app")
    grant = {"type": "identify", "userId": "u1", "messageId": "g1", "timestamp": T,
             "traits": {"consent_email": True}}  # fmt: skip
    send(any_engine, app, grant)
    assert _consents(any_engine) == {(1, "email"): ("granted", "shop-app", T_TS)}
    send(any_engine, app, _track(1, "Unsubscribed", "m1"))
    assert _consents(any_engine) == {(1, "email"): ("withdrawn", "shop-app", T_TS)}
    send(any_engine, app, {**grant, "messageId": "g2"})  # a grant at that time again: no
    assert _consents(any_engine) == {(1, "email"): ("withdrawn", "shop-app", T_TS)}


def test_an_unknown_channel_property_is_a_located_error(any_engine: Engine) -> None:
    add_users(any_engine, 1)
    web = sender(any_engine)
    out = send(any_engine, web, _track(1, "Unsubscribed", "m1", properties={"channel": "fax"}))
    assert out.stored == 0 and [r.field for r in out.rejected] == ["batch[0].properties.channel"]
    assert {c["status"] for c in rows(any_engine, "consents")} == {"granted"}
