"""Pause, resume and stop a journey (audited), with their effect on members and messages.

``pause``: nobody enters or moves, the journey's queued messages are held (deferred with
reason ``journey_paused`` until resumed); goal events still end members' journeys.
``resume``: the held messages are due again (the policy gate decides them again).
``stop``: for good; every active member exits with reason ``stopped`` and the journey's
queued messages are suppressed (``journey_stopped``). A message a worker is handing to a
provider at that moment still goes.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text, update

from userops.errors import Conflict
from userops.journeys.records import audit_journey, check_actor, journey_row, lock_journey
from userops.journeys.send import campaign_id
from userops.journeys.tables import journeys, versions

HELD = "journey_paused"
"""Outbox reason of a paused journey's held messages."""
FAR = 2**62
"""``not_before_ts`` of a held message."""


_FROM = {"pause": ("running",), "resume": ("paused",), "stop": ("draft", "running", "paused")}
_TO = {"pause": "paused", "resume": "running", "stop": "stopped"}


def set_state(
    engine: Engine, jid: str, action: str, *, actor: str, now_ts: int | None = None
) -> dict[str, Any]:
    """``pause``, ``resume`` or ``stop`` journey ``jid`` (audited).

    Raises:
        NotFound: no such journey.
        Conflict: the journey is not in a state the action applies to.
    """
    actor = check_actor(actor)
    now = int(now_ts if now_ts is not None else time.time())
    with engine.begin() as conn:
        lock_journey(conn, jid)
        j = journey_row(conn, jid)
        if j.state not in _FROM[action]:
            raise Conflict(f"journey {jid} is {j.state}; cannot {action} it", current=j.state)
        conn.execute(update(journeys).where(journeys.c.id == jid).values(state=_TO[action]))
        ns = conn.execute(select(versions.c.version).where(versions.c.journey_id == jid))
        camps = [campaign_id(jid, int(n)) for n in ns.scalars()]
        detail: dict[str, Any] = {"from": j.state, "to": _TO[action]}
        detail.update(_side_effects(conn, jid, action, camps, now))
        audit_journey(conn, actor, f"journey.{action}", jid, detail)
    return {"id": jid, "state": _TO[action], **detail}


def _side_effects(
    conn: Connection, jid: str, action: str, camps: list[str], now: int
) -> dict[str, int]:
    """Hold, release or suppress the journey's queued messages; exit members on stop."""
    p = {"c": camps, "now": now, "far": FAR, "held": HELD, "j": jid}
    queued = " WHERE campaign_id IN :c AND state IN ('pending', 'deferred')"
    if action == "pause":
        sql = "UPDATE outbox SET state = 'deferred', not_before_ts = :far, reason = :held"
        return {"held": _run(conn, sql + queued, p, camps)}
    if action == "resume":
        sql = (
            "UPDATE outbox SET not_before_ts = :now, reason = NULL WHERE campaign_id IN :c"
            " AND state = 'deferred' AND reason = :held"
        )
        return {"released": _run(conn, sql, p, camps)}
    sql = "UPDATE outbox SET state = 'suppressed', reason = 'journey_stopped', cost = 0"
    out = {"suppressed": _run(conn, sql + queued, p, camps)}
    res = conn.execute(
        text(
            "UPDATE journey_members SET state = 'exited', exit_reason = 'stopped',"
            " exited_ts = :now, lease_owner = NULL, lease_until_ts = NULL"
            " WHERE journey_id = :j AND state = 'active'"
        ),
        p,
    )
    out["exited"] = int(res.rowcount)
    return out


def _run(conn: Connection, sql: str, params: dict[str, Any], camps: list[str]) -> int:
    if not camps:
        return 0
    stmt = text(sql).bindparams(bindparam("c", expanding=True))
    return int(conn.execute(stmt, params).rowcount)
