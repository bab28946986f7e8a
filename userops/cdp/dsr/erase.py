"""Erase one person: every copy outside the store first, then the store in one transaction.

Order (docs/privacy.md): the copies outside the store (the search index, the agents'
checkpoints) can only be found while the store still knows the person, so they go first;
each of those steps removes data and is idempotent. The store then changes in one
transaction: it commits whole or not at all, and a failed attempt can simply be repeated.
A second request for an erased id answers ``already_erased`` with the first erasure's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, String, cast, delete, insert, literal, null, update

from userops.cdp.dsr.person import AlreadyErased, Person, load_person
from userops.cdp.dsr.scrub import ERASED_ID
from userops.cdp.dsr.tables import (
    AUDIT,
    MERGES,
    MESSAGES,
    OWN,
    USERS,
    audit_filter,
    mention_rows,
    merges_filter,
    other_tables,
)
from userops.store.erasures import ERASURES, digest, digest_key
from userops.store.models import utcnow

Outside = Callable[[Person], dict[str, int]]
"""A step that removes the person from a copy outside the store; returns counts."""
ERASED_STATE = "erased"
"""``outbox.state`` of an erased person's messages (``reason`` keeps the former state)."""


@dataclass
class EraseResult:
    """What an erase did (no personal data: this is also the audit record's detail)."""

    status: str
    """``erased`` or ``already_erased``."""
    erasure_id: str
    records: int = 0
    """User records erased (the canonical one and those merged into it)."""
    removed: dict[str, int] = field(default_factory=dict)
    """Rows deleted, per table."""
    anonymised: dict[str, int] = field(default_factory=dict)
    """Rows kept with the person taken out, per table (outbox, deliveries)."""
    scrubbed: dict[str, int] = field(default_factory=dict)
    """Rows whose JSON or text named the person, per table (the names replaced)."""
    outside: dict[str, int] = field(default_factory=dict)
    """Copies outside the store removed (search index documents, checkpoint threads)."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def erase_person(
    engine: Engine, user_id: int, actor: str, *, outside: list[Outside] | None = None
) -> EraseResult:
    """Erase the person record ``user_id`` belongs to, everywhere.

    Args:
        engine: The store.
        user_id: Any record of the person (the canonical one or a merged one).
        actor: Who asked (recorded in the audit).
        outside: Steps run before the store changes (index, checkpoints).

    Raises:
        NotFound: no such record, and the id was never erased.
    """
    with engine.connect() as conn:
        try:
            person = load_person(conn, user_id)
        except AlreadyErased as exc:
            return EraseResult("already_erased", exc.request_id)
    counts: dict[str, int] = {}
    for step in outside or []:
        counts.update(step(person))
    with engine.begin() as conn:
        try:
            person = load_person(conn, user_id, lock=True)
        except AlreadyErased as exc:  # a concurrent request finished first
            return EraseResult("already_erased", exc.request_id, outside=counts)
        return erase_in(conn, person, actor, outside=counts)


def erase_in(
    conn: Connection, person: Person, actor: str, outside: dict[str, int] | None = None
) -> EraseResult:
    """Erase ``person`` from the store inside the caller's transaction.

    ``outside``: what the steps outside the store removed (recorded in the audit detail).
    """
    ids = person.ids
    res = EraseResult(ERASED_STATE, uuid.uuid4().hex, records=len(ids), outside=outside or {})
    scrubber = person.scrubber()
    for table, key, column, value in list(mention_rows(conn, scrubber, audit_filter(ids))):
        pk = next(iter(table.primary_key.columns))
        conn.execute(update(table).where(pk == key).values({column: scrubber.scrub(value)}))
        res.scrubbed[table.name] = res.scrubbed.get(table.name, 0) + 1
    for table in other_tables(conn):
        res.removed[table.name] = _count(
            conn.execute(delete(table).where(table.c.user_id.in_(ids)))
        )
    _anonymise_messages(conn, ids, res)
    for name, table in reversed(OWN):
        res.removed[name] = _count(conn.execute(delete(table).where(table.c.user_id.in_(ids))))
    res.removed["identity_merges"] = _count(conn.execute(delete(MERGES).where(merges_filter(ids))))
    res.removed["audit"] = _count(conn.execute(delete(AUDIT).where(audit_filter(ids))))
    conn.execute(update(USERS).where(USERS.c.id.in_(ids)).values(merged_into=None))
    res.removed["users"] = _count(conn.execute(delete(USERS).where(USERS.c.id.in_(ids))))
    key = digest_key(conn, create=True)
    now = utcnow()
    conn.execute(
        insert(ERASURES),
        [
            {"request_id": res.erasure_id, "kind": k, "digest": digest(key, k, v), "erased_at": now}
            for k, v in person.identifiers()
        ],
    )
    detail = {k: v for k, v in res.as_dict().items() if k not in ("status", "erasure_id")}
    conn.execute(
        insert(AUDIT).values(
            at=now,
            actor=actor,
            action="privacy.erase",
            entity_type="erasure",
            entity_id=res.erasure_id,
            detail=detail,
        )
    )
    return res


def _anonymise_messages(conn: Connection, ids: list[int], res: EraseResult) -> None:
    """Keep outbox and delivery rows (counts, costs) with the person taken out."""
    (_, outbox), (_, deliveries) = MESSAGES
    o = outbox.c
    res.anonymised["outbox"] = _count(
        conn.execute(
            update(outbox)
            .where(o.user_id.in_(ids))
            .values(
                user_id=ERASED_ID,
                idempotency_key=literal("erased|").concat(cast(o.id, String)),
                state=ERASED_STATE,
                reason=o.state,
                content=null(),
                provider_message_id=None,
                lease_owner=None,
                lease_until_ts=None,
                sent_ts=None,
            )
        )
    )
    d = deliveries.c
    res.anonymised["deliveries"] = _count(
        conn.execute(
            update(deliveries)
            .where(d.user_id.in_(ids))
            .values(
                user_id=ERASED_ID,
                idempotency_key=literal("erased|d").concat(cast(d.id, String)),
                provider_message_id=None,
                payload=null(),
            )
        )
    )


def _count(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)
