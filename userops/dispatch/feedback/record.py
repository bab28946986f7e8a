"""Write what a provider told us: events, consent withdrawals, invalid contact data.

Every callback is parsed and validated whole first (:mod:`.aliyun`, :mod:`.signed`), into
one :class:`Feedback`; :func:`record_feedback` then writes it in one transaction, so a bad
item writes nothing and a good request writes everything:

* events go in once per dedupe key (``events.dedupe_key``: a provider delivering the same
  report twice records one event);
* a consent withdrawal applies when it is newer than the stored consent (a tie goes to the
  withdrawal, the safe reading); each change gets a ``consent.set`` audit row whose actor is
  ``feedback:<provider>``;
* an invalid address (a hard bounce, an unregistered push token) is cleared from the user
  record and its identity rows, audited as ``contact.invalidated`` (the value hashed).

:class:`Recorded` says which users changed (``users``) and which got call outcomes
(``callers``): the caller brings their trait rows up to date after the commit
(:func:`userops.feedback.record`, through :func:`userops.cdp.traits.calls.after_feedback`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from userops.dispatch.adapters.webhook import SIGNATURE_HEADER
from userops.dispatch.feedback.items import Feedback, Invalidation, NewEvent, Recorded, Withdrawal
from userops.dispatch.feedback.signed import Refused, Replay
from userops.store.models import AuditLog, CallbackReplay, Consent, Event, Identity, User

CONTACT_COLUMNS = {"phone": User.phone, "email": User.email, "device_id": User.device_id}


def dedupe_key(provider: str, dedupe: str) -> str:
    """The ``events.dedupe_key`` of a feedback event."""
    return hashlib.sha256(f"feedback|{provider}|{dedupe}".encode()).hexdigest()


def value_hash(value: str) -> str:
    """What the audit keeps of an address (never the address)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def record_feedback(engine: Engine, fb: Feedback, replay: Replay | None = None) -> Recorded:
    """Write ``fb`` in one transaction (the users' traits are the caller's to update).

    With ``replay`` (a signed callback), its signature is remembered in the same transaction.

    Raises:
        Refused: 409, the signature was accepted before (nothing written).
    """
    out = Recorded(unmatched=fb.unmatched)
    with engine.begin() as conn:
        if replay is not None:
            _remember(conn, replay)
        out.users, out.callers = _write(conn, fb, out)
    return out


def _remember(conn: Connection, replay: Replay) -> None:
    conn.execute(delete(CallbackReplay).where(CallbackReplay.seen_ts < replay.forget_before))
    stmt = (
        _insert(conn)(CallbackReplay)
        .values(signature=replay.digest, seen_ts=replay.now)
        .on_conflict_do_nothing(index_elements=["signature"])
        .returning(CallbackReplay.signature)
    )
    if conn.execute(stmt).first() is None:
        raise Refused(409, f"header {SIGNATURE_HEADER}", "replayed: this signature was accepted")


def _write(conn: Connection, fb: Feedback, out: Recorded) -> tuple[set[int], set[int]]:
    actor = f"feedback:{fb.provider}"[:64]
    users: set[int] = set()
    callers: set[int] = set()
    for e in fb.events:
        new_id, dup = _insert_event(conn, fb.provider, e)
        out.event_ids.append(new_id)
        if dup:
            out.duplicates += 1
            continue
        out.events += 1
        users.add(e.user_id)
        if e.type == "call_outcome":
            callers.add(e.user_id)
    for w in fb.withdrawals:
        if _withdraw(conn, w, actor):
            out.consents_withdrawn += 1
            users.add(w.user_id)
    for inv in fb.invalidations:
        if _invalidate(conn, inv, actor):
            out.contacts_invalidated += 1
            users.add(inv.user_id)
    return users, callers


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


def _insert_event(conn: Connection, provider: str, e: NewEvent) -> tuple[int, bool]:
    key = e.raw_key or dedupe_key(provider, e.dedupe)
    stmt = (
        _insert(conn)(Event)
        .values(
            user_id=e.user_id,
            type=e.type,
            ts=e.ts,
            channel=e.channel,
            campaign_id=e.campaign_id,
            properties=e.properties,
            text=e.text,
            dedupe_key=key,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Event.id)
    )
    new_id = conn.execute(stmt).scalar()
    if new_id is not None:
        return int(new_id), False
    return int(conn.execute(select(Event.id).where(Event.dedupe_key == key)).scalar_one()), True


def _withdraw(conn: Connection, w: Withdrawal, actor: str) -> bool:
    """Withdraw unless the stored consent is newer (or already withdrawn as new); audit."""
    old = conn.execute(
        select(Consent.status, Consent.source, Consent.ts).where(
            Consent.user_id == w.user_id, Consent.channel == w.channel
        )
    ).first()
    if old is not None and (old.ts > w.ts or (old.ts == w.ts and old.status == "withdrawn")):
        return False
    new = {"status": "withdrawn", "source": w.source[:64], "ts": w.ts}
    if old is None:
        conn.execute(insert(Consent).values(user_id=w.user_id, channel=w.channel, **new))
    else:
        conn.execute(
            update(Consent)
            .where(Consent.user_id == w.user_id, Consent.channel == w.channel)
            .values(**new)
        )
    before = None if old is None else {"status": old.status, "source": old.source, "ts": old.ts}
    _audit(
        conn,
        actor,
        "consent.set",
        "consent",
        f"{w.user_id}:{w.channel}",
        {"user_id": w.user_id, "channel": w.channel, "old": before, "new": new},
    )
    return old is None or old.status != "withdrawn"


def _invalidate(conn: Connection, inv: Invalidation, actor: str) -> bool:
    col = CONTACT_COLUMNS[inv.kind]
    cleared = conn.execute(
        update(User)
        .where(User.id == inv.user_id, col == inv.value)
        .values({col.key: None})
        .returning(User.id)
    ).all()
    dropped = conn.execute(
        delete(Identity)
        .where(
            Identity.user_id == inv.user_id, Identity.kind == inv.kind, Identity.value == inv.value
        )
        .returning(Identity.id)
    ).all()
    if not cleared and not dropped:
        return False
    detail = {"kind": inv.kind, "value_sha256": value_hash(inv.value), "reason": inv.reason}
    _audit(conn, actor, "contact.invalidated", "user", str(inv.user_id), detail)
    return True


def _audit(
    conn: Connection, actor: str, action: str, etype: str, eid: str, detail: dict[str, Any]
) -> None:
    conn.execute(
        insert(AuditLog).values(
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            entity_type=etype,
            entity_id=eid[:64],
            detail=detail,
        )
    )
