"""Where one person's data lives in the store, table by table (read by export and erase).

* **Own rows** (:data:`OWN`): rows that are the person's (identities, consents, events,
  traits, campaign memberships, applied identify/alias messages): exported, then deleted.
* **Messages** (:data:`MESSAGES`): outbox and delivery rows: exported, then kept for the
  campaign's counts and costs with the person's id, contact and content taken out.
* **Audit about them** (:func:`audit_filter`): audit rows whose entity is one of the records
  or their consents (merges, consent changes): exported, then deleted.
* **Mentions** (:data:`MENTIONS`): JSON and text columns that may name the person (approval
  card previews, plans, thread events, lessons, any audit detail): the matching leaves are
  exported; the values are scrubbed in place.
* **Other tables** with a ``user_id`` column that this module does not know (added later):
  their rows of the person are exported and deleted (:func:`other_tables`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    String,
    Table,
    and_,
    inspect,
    or_,
    select,
)
from sqlalchemy import cast as sql_cast

from userops.cdp.dsr.scrub import Scrubber
from userops.store.models import (
    Approval,
    AuditLog,
    Campaign,
    CampaignMember,
    Consent,
    Delivery,
    Event,
    Identity,
    IdentityMerge,
    IngestMessage,
    Lesson,
    Outbox,
    ThreadEvent,
    Trait,
    User,
)


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


USERS = _t(User)
MERGES = _t(IdentityMerge)
AUDIT = _t(AuditLog)
OWN: tuple[tuple[str, Table], ...] = (
    ("identities", _t(Identity)),
    ("consents", _t(Consent)),
    ("events", _t(Event)),
    ("traits", _t(Trait)),
    ("campaign_members", _t(CampaignMember)),
    ("ingest_messages", _t(IngestMessage)),
)
"""Sections of the export (by table) whose rows are the person's by ``user_id``."""
MESSAGES: tuple[tuple[str, Table], ...] = (("outbox", _t(Outbox)), ("deliveries", _t(Delivery)))
MENTIONS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (_t(Campaign), ("name", "goal", "plan")),
    (_t(Approval), ("card", "decision", "comment")),
    (_t(ThreadEvent), ("data",)),
    (_t(Lesson), ("text",)),
    (AUDIT, ("detail",)),
)
KNOWN = frozenset(
    {"users", "identity_merges", "audit", "erasures"}
    | {n for n, _ in OWN}
    | {n for n, _ in MESSAGES}
    | {t.name for t, _ in MENTIONS}
)


def merges_filter(ids: Sequence[int]) -> ColumnElement[bool]:
    """Identity merges (done or undone) that involve any of the records."""
    return or_(MERGES.c.survivor_id.in_(ids), MERGES.c.merged_id.in_(ids))


def audit_filter(ids: Sequence[int]) -> ColumnElement[bool]:
    """Audit rows whose entity is one of the records or one of their consents."""
    c = AUDIT.c
    consent = or_(*(c.entity_id.like(f"{i}:%") for i in ids))
    return or_(
        and_(c.entity_type == "user", c.entity_id.in_([str(i) for i in ids])),
        and_(c.entity_type == "consent", consent),
    )


def other_tables(conn: Connection) -> list[Table]:
    """Tables of the live store with a ``user_id`` column that this module does not know."""
    insp = inspect(conn)
    found: list[Table] = []
    meta = MetaData()
    for name in sorted(insp.get_table_names()):
        if name in KNOWN or name.startswith(("checkpoint", "writes", "alembic")):
            continue
        cols = {c["name"] for c in insp.get_columns(name)}
        if "user_id" in cols:
            found.append(Table(name, meta, autoload_with=conn))
    return found


def mention_rows(
    conn: Connection, scrubber: Scrubber, exclude: ColumnElement[bool] | None = None
) -> Iterator[tuple[Table, Any, str, Any]]:
    """Yield ``(table, primary key, column, value)`` of every stored value naming the person.

    Candidates are found in SQL (``LIKE`` on the values as text, see
    :meth:`Scrubber.like_patterns`) and confirmed by the scrubber. ``exclude`` leaves out
    audit rows (those about the person, deleted anyway).
    """
    patterns = scrubber.like_patterns()
    if not patterns:
        return
    for table, columns in MENTIONS:
        pk = next(iter(table.primary_key.columns))
        for name in columns:
            col: Column[Any] = table.c[name]
            as_text = sql_cast(col, String)
            cond = or_(*(as_text.ilike(p, escape="\\") for p in patterns))
            if table is AUDIT and exclude is not None:
                cond = and_(cond, ~exclude)
            q = select(pk, col).where(col.is_not(None), cond).order_by(pk)
            for key, value in conn.execute(q):
                if scrubber.scrub(value) is not value:
                    yield table, key, name, value
