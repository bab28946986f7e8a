"""Call traits: what the user's AI outbound calls found, on the trait row.

From the canonical user's ``call_outcome`` events (``properties.intent``, ``properties.tags``):

* ``last_call_intent``: the intent of the last call (by end time, then event id);
* ``call_tags``: the distinct tags of the calls in the 180 days up to the last one, newest
  first, as a ``,a,b,`` list (at most 400 characters);
* ``last_call_ts``: when the last call ended.

Intents and tags are identifiers: letters, digits, ``_`` and ``-`` (any script), at most 32
characters, lower-cased; anything else in a stored event is skipped, so the traits (and the
summaries and prompts that read them) never carry free text.

These columns are written here, not by the profile build's upsert: by the feedback path
after each call outcome, and over every user after a full build (``refresh(conn)``). Users
without a trait row yet are skipped (their row gets the values at the next refresh).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, select, update

from userops.domain import call_token
from userops.store.models import Event, Trait, User

log = logging.getLogger(__name__)
WINDOW_S = 180 * 86400
MAX_TAGS_CHARS = 400


def _canon(conn: Connection, user_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The canonical users of ``user_ids`` and all their records."""
    canon_col = func.coalesce(User.merged_into, User.id)
    ids = sorted({int(i) for i in user_ids})
    canon = sorted({int(c) for (c,) in conn.execute(select(canon_col).where(User.id.in_(ids)))})
    records = conn.execute(
        select(User.id).where((User.id.in_(canon)) | (User.merged_into.in_(canon)))
    ).scalars()
    return canon, sorted({int(r) for r in records})


def compute(rows: Sequence[Any]) -> dict[int, tuple[str | None, str, int]]:
    """``uid -> (last intent, tags list, last ts)`` from (uid, ts, id, properties) rows."""
    calls: dict[int, list[tuple[int, int, dict[str, Any]]]] = {}
    for uid, ts, eid, props in rows:
        calls.setdefault(int(uid), []).append((int(ts), int(eid), props or {}))
    out: dict[int, tuple[str | None, str, int]] = {}
    for uid, seen in calls.items():
        seen.sort(key=lambda c: (c[0], c[1]), reverse=True)
        last_ts = seen[0][0]
        tags: list[str] = []
        size = 1
        for ts, _eid, props in seen:
            if ts < last_ts - WINDOW_S:
                break
            raw = props.get("tags") if isinstance(props, dict) else None
            for t in raw if isinstance(raw, list) else []:
                tok = call_token(t)
                if tok and tok not in tags and size + len(tok) + 1 <= MAX_TAGS_CHARS:
                    tags.append(tok)
                    size += len(tok) + 1
        intent = call_token(seen[0][2].get("intent")) if isinstance(seen[0][2], dict) else None
        out[uid] = (intent, "," + ",".join(tags) + "," if tags else "", last_ts)
    return out


def refresh(conn: Connection, user_ids: Sequence[int] | None = None) -> int:
    """Recompute the call traits of the canonical users of ``user_ids`` (None: everyone).

    Runs in the caller's transaction. Returns how many users' call traits were written
    (users with calls, and users whose stored call traits no longer have any).
    """
    canon_col = func.coalesce(User.merged_into, User.id)
    q = (
        select(canon_col, Event.ts, Event.id, Event.properties)
        .select_from(Event)
        .join(User, User.id == Event.user_id)
        .where(Event.type == "call_outcome")
    )
    canon: list[int] | None = None
    if user_ids is not None:
        canon, records = _canon(conn, user_ids)
        if not canon:
            return 0
        q = q.where(Event.user_id.in_(records))
    found = compute(conn.execute(q).all())
    rows = [
        {"u": uid, "i": intent, "t": tags, "ts": ts} for uid, (intent, tags, ts) in found.items()
    ]
    stale = select(Trait.user_id).where(Trait.last_call_ts.is_not(None))
    if canon is not None:
        stale = stale.where(Trait.user_id.in_(canon))
    rows += [
        {"u": int(u), "i": None, "t": None, "ts": None}
        for u in conn.execute(stale).scalars()
        if int(u) not in found
    ]
    if not rows:
        return 0
    table = cast(Table, Trait.__table__)
    t = table.c
    stmt = (
        update(table)
        .where(t.user_id == bindparam("u"))
        .values(
            last_call_intent=bindparam("i"), call_tags=bindparam("t"), last_call_ts=bindparam("ts")
        )
    )
    conn.execute(stmt, rows)
    return len(rows)


def after_feedback(engine: Engine, users: set[int], callers: set[int]) -> None:
    """Bring trait rows up to date after provider feedback was committed.

    The incremental update of ``users`` (:func:`traits_incremental.apply_events`), then the
    call traits of ``callers``, in one transaction. A failure is logged, never raised: the
    feedback is already recorded and the next profile build catches up.
    """
    if not users and not callers:
        return
    from userops.cdp.traits.incremental import apply_events  # it imports this module

    try:
        with engine.begin() as conn:
            if users:
                apply_events(conn, sorted(users))
            if callers:
                refresh(conn, sorted(callers))
    except Exception:  # the feedback stands; the next profile build catches up
        log.exception("traits after feedback: update of %d users failed", len(users))
