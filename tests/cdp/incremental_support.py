"""A seeded store, a build, then new events for a subset of users (incremental traits tests)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text

from userops.cdp.sample.population import seed_population
from userops.cdp.traits.build import build_profiles
from userops.cdp.traits.write import TRAIT_COLUMNS
from userops.store.models import Consent, Event, Identity, User

NOW = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
"""The clock of the incremental update: four days after the seeded history ends."""
NEW_TS = int(datetime(2026, 11, 5, 9, 0, tzinfo=UTC).timestamp())
"""When the new events happened (after the last build's as-of day)."""
NEW_USER = "first-sight:1"
"""External id of a user created after the build (no trait row yet)."""


def seeded(engine: Engine, users: int = 600) -> None:
    """Seed ``users`` persons (seed 3) and run a full build."""
    seed_population(engine, users=users, seed=3, language="zh")
    build_profiles(engine)


def traits(engine: Engine, ids: Sequence[int] | None = None) -> dict[int, tuple[Any, ...]]:
    """Trait rows (TRAIT_COLUMNS order) by user id, of ``ids`` or of everyone."""
    sql = f"SELECT {', '.join(TRAIT_COLUMNS)} FROM traits"
    if ids is not None:
        sql += f" WHERE user_id IN ({', '.join(str(i) for i in ids) or 'NULL'})"
    with engine.connect() as conn:
        return {int(r[0]): tuple(r) for r in conn.execute(text(sql))}


def _pick(engine: Engine) -> list[int]:
    """Users of every lifecycle stage, a few each, plus merged records' survivors."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, lifecycle_stage FROM traits ORDER BY user_id")
        ).all()
        merged = conn.execute(
            text("SELECT id, merged_into FROM users WHERE merged_into IS NOT NULL ORDER BY id")
        ).all()
    picked: dict[str, list[int]] = {}
    for uid, stage in rows:
        if len(picked.setdefault(stage, [])) < 6:
            picked[stage].append(int(uid))
    out = sorted({u for us in picked.values() for u in us})
    return out + [int(r[0]) for r in merged[:3]]  # events on merged records


def add_events(engine: Engine) -> list[int]:
    """Write new events (and a consent, an identity, a new user) for a subset; return the
    record ids the events went to (what ingestion would pass to ``apply_events``)."""
    records = _pick(engine)
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(User).returning(User.id),
            {"external_id": NEW_USER, "created_ts": NEW_TS - 3600, "source": "app"},
        ).scalar_one()
        records.append(int(new_id))
        rows: list[dict[str, Any]] = []
        for k, uid in enumerate(records):
            ts = NEW_TS + k
            base = {"user_id": uid, "ts": ts, "channel": None, "amount": None, "properties": None}
            if k % 3 != 2:
                items = [{"sku": "s1", "name": "tea", "category": "tea", "price": 1.0, "qty": 1}]
                props = {"items": items, "discount": 0.2 if k % 2 else 0.0}
                rows.append({**base, "type": "order", "amount": 50.0 + k, "properties": props})
            page = {"content_type": "tutorial", "category": "books"}
            rows.append({**base, "type": "page_view", "properties": page})
            rows.append({**base, "type": "message_delivered", "channel": "sms"})
            if k % 2:
                rows.append({**base, "type": "message_opened", "channel": "sms"})
                rows.append({**base, "type": "feedback", "properties": {"rating": 1 + k % 5}})
            if k % 4 == 1:
                rows.append({**base, "type": "app_open"})
        conn.execute(insert(Event), rows)
        conn.execute(
            insert(Identity), {"user_id": new_id, "kind": "phone", "value": "+8613912345678"}
        )
        conn.execute(
            insert(Consent),
            [
                {"user_id": new_id, "channel": "sms", "status": "granted", "ts": NEW_TS},
                {"user_id": records[0], "channel": "email", "status": "granted", "ts": NEW_TS},
            ],
        )
    return records


def canonical(engine: Engine, records: Sequence[int]) -> list[int]:
    """The canonical users of ``records``."""
    canon = User.merged_into
    with engine.connect() as conn:
        found = conn.execute(select(User.id, canon).where(User.id.in_(list(records)))).all()
    return sorted({int(m if m is not None else i) for i, m in found})


def stage_events(engine: Engine) -> list[tuple[int, dict[str, Any]]]:
    """``(user, properties)`` of every lifecycle_stage_changed event, in id order."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT user_id, properties FROM events"
                " WHERE type = 'lifecycle_stage_changed' ORDER BY id"
            )
        ).all()
    return [(int(u), p if isinstance(p, dict) else json.loads(p)) for u, p in rows]
