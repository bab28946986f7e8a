"""Journeys test helpers: specs, events, a journey made live, a runner on a fixed clock."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text

from userops.dispatch.policy import Policy
from userops.journeys.parse import parse_journey

if TYPE_CHECKING:
    from userops.journeys.runner import JourneyRunner

SMS = "【优选】{name}，欢迎加入，回T退订"
PUSH_TITLE = "欢迎"
T0 = 1_780_000_000  # 2026-05-28 20:26:40 UTC = 2026-05-29 04:26 Asia/Shanghai
NO_QUIET = Policy.with_overrides({"quiet_hours": None})
WELCOME: dict[str, Any] = {
    "name": "welcome",
    "trigger": {"kind": "event", "event": "Signed Up"},
    "nodes": [
        {
            "kind": "send",
            "id": "hello",
            "channels": ["sms"],
            "variants": [{"variant_id": "w1", "channel": "sms", "body": SMS}],
            "next": "wait1",
        },
        {"kind": "wait", "id": "wait1", "duration": {"days": 1}, "next": "order"},
        {
            "kind": "wait_for_event",
            "id": "order",
            "event": {"event": "Order Completed"},
            "timeout": {"days": 3},
            "happened": "thanks",
            "timed_out": "nudge",
        },
        {
            "kind": "send",
            "id": "nudge",
            "channels": ["sms"],
            "variants": [{"variant_id": "n1", "channel": "sms", "body": SMS}],
            "next": "done",
        },
        {"kind": "exit", "id": "thanks", "reason": "ordered"},
        {"kind": "exit", "id": "done"},
    ],
}


def spec(**over: Any) -> dict[str, Any]:
    """A copy of the welcome spec with top-level keys replaced."""
    out = copy.deepcopy(WELCOME)
    out.update(over)
    return out


def live(engine: Engine, data: dict[str, Any], *, now: int = T0) -> str:
    """Create the journey as ``ops`` and approve it as ``boss``; return its id."""
    from userops.journeys.records import approve, create_journey

    jid = create_journey(engine, parse_journey(data), actor="ops")["id"]
    approve(engine, str(jid), actor="boss", now_ts=now)
    return str(jid)


def add_event(engine: Engine, user: int, ts: int, name: str = "Signed Up", **props: Any) -> None:
    """Store one event as the real-time ingestion would (known names get their type)."""
    from userops.journeys.events import resolve_event

    etype, custom = resolve_event(name)
    body = {**props, **({"event": custom} if custom else {})}
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO events (user_id, type, ts, properties) VALUES (:u, :t, :ts, :p)"),
            {"u": user, "t": etype, "ts": ts, "p": json.dumps(body)},
        )


class Clock:
    """A settable clock."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


def runner(engine: Engine, clock: Clock, **kw: Any) -> JourneyRunner:
    """A runner without quiet hours on ``clock``."""
    from userops.journeys.runner import JourneyRunner

    kw.setdefault("policy", NO_QUIET)
    return JourneyRunner(engine, clock=clock, **kw)


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """All rows of ``sql``."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def members(engine: Engine) -> dict[int, tuple[str, str, str | None]]:
    """``user -> (node, state, exit reason)`` of the newest entry of each user."""
    got = rows(
        engine,
        "SELECT user_id, node_id, state, exit_reason FROM journey_members ORDER BY entry_no",
    )
    return {int(r[0]): (r[1], r[2], r[3]) for r in got}


TRAIT_DEFAULTS: dict[str, Any] = {
    "as_of_ts": T0, "language": "zh", "timezone": "Asia/Shanghai", "days_since_signup": 10,
    "lifecycle_stage": "new", "orders_90d": 0, "orders_total": 0, "monetary_365d": 0.0,
    "aov": 0.0, "rfm_segment": "new", "p_alive": 0.9, "expected_orders_90d": 0.1,
    "ltv_12m": 10.0, "ltv_tier": "low", "churn_risk": 0.1, "reachable_channels": ",sms,",
    "interests": "", "price_sensitivity": 0.5, "contacts_7d": 0,
}  # fmt: skip


def set_traits(engine: Engine, user: int, **values: Any) -> None:
    """Write (or replace) the trait row of ``user``."""
    row = {**TRAIT_DEFAULTS, **values, "user_id": user}
    cols = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM traits WHERE user_id = :u"), {"u": user})
        conn.execute(text(f"INSERT INTO traits ({cols}) VALUES ({marks})"), row)
