"""Journeys and their versions: create, edit, approve or reject, pause, resume, stop.

Nothing runs before an approver approves a version: ``create`` and ``edit`` write a version
``awaiting_approval``; ``approve`` (by an approver or admin when accounts exist, never by
the version's author) makes it the live version, the previous live version ``superseded``
(its members finish; nobody enters it) and the journey ``running``. ``pause`` holds the
journey (nobody enters or moves, its queued messages are held; goal events still end
journeys), ``resume`` releases it, ``stop`` ends it for good (every member exits with
reason ``stopped``, its queued messages are suppressed). Every change is audited.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from userops.accounts import find_user, has_accounts
from userops.approvals.rules import check_role
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.journeys.events import max_event_id
from userops.journeys.spec import JourneySpec
from userops.journeys.tables import journeys, versions
from userops.store.models import AuditLog, utcnow


def check_actor(actor: str) -> str:
    """The acting user, refused when empty or longer than 64 characters."""
    actor = (actor or "").strip()
    if not actor or len(actor) > 64 or "\x00" in actor:
        raise BadInput.one("must be 1 to 64 characters", field="--as", value=actor[:40])
    return actor


def audit_journey(
    conn: Connection, actor: str, action: str, jid: str, detail: dict[str, Any]
) -> None:
    """Append one audit row about journey ``jid``."""
    conn.execute(
        insert(AuditLog).values(
            at=utcnow(), actor=actor, action=action, entity_type="journey", entity_id=jid,
            detail=detail,
        )
    )  # fmt: skip


def journey_row(conn: Connection, jid: str) -> Any:
    """The journey row (NotFound when there is none)."""
    row = conn.execute(select(journeys).where(journeys.c.id == jid)).first()
    if row is None:
        raise NotFound(f"no journey {jid!r}")
    return row


def lock_journey(conn: Connection, jid: str) -> None:
    """Write the journey row first: the transaction then holds the write lock (SQLite)."""
    conn.execute(update(journeys).where(journeys.c.id == jid).values(updated_at=utcnow()))


def create_journey(engine: Engine, spec: JourneySpec, *, actor: str) -> dict[str, Any]:
    """Create a journey with version 1 awaiting approval; return its id and version."""
    actor = check_actor(actor)
    jid = uuid.uuid4().hex[:10]
    with engine.begin() as conn:
        conn.execute(
            insert(journeys).values(
                id=jid, name=spec.name, state="draft", created_by=actor, created_at=utcnow(),
                updated_at=utcnow(),
            )
        )  # fmt: skip
        _add_version(conn, jid, 1, spec, actor)
        audit_journey(conn, actor, "journey.create", jid, {"version": 1, "name": spec.name})
    return {"id": jid, "version": 1, "status": "awaiting_approval"}


def _add_version(conn: Connection, jid: str, n: int, spec: JourneySpec, actor: str) -> None:
    conn.execute(
        insert(versions).values(
            journey_id=jid, version=n, spec=spec.dump(), status="awaiting_approval",
            created_by=actor, created_at=utcnow(), event_cursor=0, first_event=0, scan_ts=0,
        )
    )  # fmt: skip


def edit_journey(engine: Engine, jid: str, spec: JourneySpec, *, actor: str) -> dict[str, Any]:
    """Add a new version of ``jid`` awaiting approval (the live version runs meanwhile)."""
    actor = check_actor(actor)
    with engine.begin() as conn:
        lock_journey(conn, jid)
        j = journey_row(conn, jid)
        if j.state == "stopped":
            raise Conflict(f"journey {jid} is stopped; create a new journey", current=j.state)
        last = conn.execute(
            select(versions.c.version)
            .where(versions.c.journey_id == jid)
            .order_by(versions.c.version.desc())
        ).scalar()
        n = int(last or 0) + 1
        _add_version(conn, jid, n, spec, actor)
        conn.execute(update(journeys).where(journeys.c.id == jid).values(name=spec.name))
        audit_journey(conn, actor, "journey.edit", jid, {"version": n, "name": spec.name})
    return {"id": jid, "version": n, "status": "awaiting_approval"}


def _pending(conn: Connection, jid: str, version: int | None) -> Any:
    q = select(versions).where(versions.c.journey_id == jid)
    if version is not None:
        q = q.where(versions.c.version == version)
    else:
        q = q.where(versions.c.status == "awaiting_approval").order_by(versions.c.version.desc())
    row = conn.execute(q).first()
    if row is None:
        what = f"version {version}" if version is not None else "a version awaiting approval"
        raise NotFound(f"journey {jid} has no {what}")
    if row.status != "awaiting_approval":
        raise Conflict(
            f"version {row.version} of journey {jid} is already {row.status}"
            + (f" by {row.approved_by}" if row.approved_by else ""),
            current=row.status,
        )
    return row


def _check_approver(engine: Engine, actor: str) -> None:
    if has_accounts(engine):
        acct = find_user(engine, actor)
        if acct is None:
            raise PolicyRefused(f"unknown or disabled user {actor!r}", reason="unknown_user")
        check_role(acct.role, "approve")


def approve(
    engine: Engine,
    jid: str,
    *,
    actor: str,
    version: int | None = None,
    comment: str | None = None,
    now_ts: int | None = None,
) -> dict[str, Any]:
    """Approve a version of ``jid`` (the latest awaiting one by default); it goes live.

    Raises:
        NotFound: no such journey or version.
        Conflict: the version is already decided, a newer one is live, or the journey stopped.
        PolicyRefused: the actor wrote the version, or may not approve.
    """
    actor = check_actor(actor)
    _check_approver(engine, actor)
    now = int(now_ts if now_ts is not None else time.time())
    with engine.begin() as conn:
        lock_journey(conn, jid)
        j = journey_row(conn, jid)
        if j.state == "stopped":
            raise Conflict(f"journey {jid} is stopped", current=j.state)
        v = _pending(conn, jid, version)
        if actor == v.created_by:
            raise PolicyRefused(
                f"{actor} wrote version {v.version} of journey {jid} and may not approve it:"
                " another approver must",
                reason="self_approval",
            )
        if j.live_version is not None and j.live_version > v.version:
            raise Conflict(f"version {j.live_version} of journey {jid} is newer and live")
        spec = JourneySpec.model_validate(v.spec)
        cursor, scan = max_event_id(conn), now if spec.trigger.kind == "anniversary" else 0
        if j.live_version is not None:
            prev = conn.execute(
                select(versions).where(
                    versions.c.journey_id == jid, versions.c.version == j.live_version
                )
            ).one()
            cursor = int(prev.event_cursor)
            if prev.spec["trigger"]["kind"] == spec.trigger.kind:
                scan = int(prev.scan_ts) or scan
                conn.execute(
                    text(
                        "INSERT INTO journey_segment_seen (version_id, user_id) SELECT :v, user_id"
                        " FROM journey_segment_seen WHERE version_id = :p"
                    ),
                    {"v": v.id, "p": prev.id},
                )
            conn.execute(
                update(versions).where(versions.c.id == prev.id).values(status="superseded")
            )
        conn.execute(
            update(versions)
            .where(versions.c.id == v.id)
            .values(
                status="approved", approved_by=actor, decided_at=utcnow(), comment=comment,
                approved_ts=now, event_cursor=cursor, first_event=cursor, scan_ts=scan,
            )
        )  # fmt: skip
        state = "running" if j.state == "draft" else j.state
        conn.execute(
            update(journeys).where(journeys.c.id == jid).values(live_version=v.version, state=state)
        )
        detail = {"version": v.version, "comment": comment, "superseded": j.live_version}
        audit_journey(conn, actor, "journey.approve", jid, detail)
    return {"id": jid, "version": int(v.version), "status": "approved", "state": state}


def reject(
    engine: Engine, jid: str, *, actor: str, reason: str, version: int | None = None
) -> dict[str, Any]:
    """Reject a version awaiting approval (never its author)."""
    actor = check_actor(actor)
    _check_approver(engine, actor)
    with engine.begin() as conn:
        lock_journey(conn, jid)
        journey_row(conn, jid)
        v = _pending(conn, jid, version)
        if actor == v.created_by:
            raise PolicyRefused(f"{actor} wrote this version", reason="self_approval")
        conn.execute(
            update(versions)
            .where(versions.c.id == v.id)
            .values(status="rejected", approved_by=actor, decided_at=utcnow(), comment=reason)
        )
        audit_journey(conn, actor, "journey.reject", jid, {"version": v.version, "reason": reason})
    return {"id": jid, "version": int(v.version), "status": "rejected"}


def version_spec(engine: Engine, jid: str, version: int | None = None) -> JourneySpec:
    """The spec of a version of ``jid`` (the newest by default)."""
    q = select(versions.c.spec).where(versions.c.journey_id == jid)
    q = q.where(versions.c.version == version) if version else q.order_by(versions.c.version.desc())
    with engine.connect() as conn:
        got = conn.execute(q).first()
    if got is None:
        raise NotFound(f"no journey {jid!r}" + (f" version {version}" if version else ""))
    return JourneySpec.model_validate(got[0])
