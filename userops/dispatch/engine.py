"""Pre-flight and enqueue of a DispatchStep: the policy applied to every recipient.

``preflight`` computes what would be sent, deferred and suppressed (per reason) and the cost,
writing nothing; it feeds the approval card. ``enqueue`` writes the same decisions as outbox
rows (idempotent: keys already present are left alone), the campaign members (treatment and
holdout) and an audit record. Holdout users never get an outbox row for the campaign.
``enqueue`` also holds the step to what its approved cards permit
(:mod:`userops.dispatch.bounds`); the pre-flight does not, it computes what a card proposes.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, insert, select, text

from userops.campaigns import ensure_campaign
from userops.dispatch.bounds import fallback_bound, load_allowance, step_lock
from userops.dispatch.evaluate import (
    Prepared,
    Row,
    Tally,
    canonical_map,
    content_problems,
    content_record,
    evaluate,
    ref_json,
    validate,
    variant_costs,
)
from userops.dispatch.models import DispatchStep, PreflightReport
from userops.dispatch.outbox import CONTENT_ENTITY, STEP_ENTITY, put_record, record_id
from userops.dispatch.policy import Policy
from userops.dispatch.render import placeholders
from userops.dispatch.sql import insert_ignore, is_pg, many, relaxed_gc
from userops.dispatch.window import step_bounds
from userops.store.models import AuditLog, Campaign
from userops.store.write_turn import write_turn

_OUTBOX_COLS = (
    "idempotency_key",
    "campaign_id",
    "step_id",
    "user_id",
    "channel",
    "variant",
    "content",
    "marketing",
    "state",
    "reason",
    "not_before_ts",
    "cost",
    "created_ts",
)
_MEMBER_COLS = (
    "campaign_id",
    "step_id",
    "user_id",
    "arm",
    "variant",
    "persona",
    "channel",
    "assigned_ts",
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (idempotency_key, campaign_id, step_id, user_id, channel, variant,"
    " content, marketing, state, reason, not_before_ts, cost, created_ts, attempts)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING"
)
_INSERT_MEMBER = (
    "INSERT INTO campaign_members (campaign_id, step_id, user_id, arm, variant, persona,"
    " channel, assigned_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


@dataclass
class EnqueueResult:
    """What an enqueue wrote."""

    campaign_id: str
    step_id: str
    inserted: int
    """New outbox rows (pending, deferred or suppressed)."""
    existing: int
    """Recipients whose key was already in the outbox (left untouched)."""
    pending: int
    deferred: int
    suppressed: dict[str, int] = field(default_factory=dict)
    holdout: int = 0
    cost: float = 0.0


def _prepare(conn: Connection, step: DispatchStep, policy: Policy, now: int) -> Prepared:
    validate(step)
    window = step_bounds(step, policy)
    stored = (step.send_window.start, step.send_window.end) if step.send_window else None
    ids = [a[0] for a in step.assignments] + list(step.holdout)
    canon = canonical_map(conn, ids)
    holdout = {canon[u] for u in step.holdout}
    holdout |= {
        r[0]
        for r in conn.execute(
            text("SELECT user_id FROM campaign_members WHERE campaign_id = :c AND arm = 'holdout'"),
            {"c": step.campaign_id},
        )
    }
    existing = {
        r[0]
        for r in conn.execute(
            text("SELECT idempotency_key FROM outbox WHERE campaign_id = :c AND step_id = :s"),
            {"c": step.campaign_id, "s": step.step_id},
        )
    }
    refs = {
        v: ref_json(record_id(content_record(step, c)), stored) for v, c in step.contents.items()
    }
    bad = {v: content_problems(c) for v, c in step.contents.items()}
    for v, c in step.contents.items():
        used = placeholders(c.model_dump())
        bad[v] += [
            f"{{{p}}} is used but metadata.{p} is not set"
            for p in ("offer", "brand")
            if p in used and p not in step.metadata
        ]
    return Prepared(
        step,
        policy,
        now,
        canon,
        holdout,
        refs,
        bad,
        variant_costs(step, policy),
        existing,
        _budget_left(conn, step),
        window,
    )


def _budget_left(conn: Connection, step: DispatchStep) -> float | None:
    row = conn.execute(
        select(Campaign.budget, Campaign.spent).where(Campaign.id == step.campaign_id)
    ).first()
    budget = step.budget if step.budget is not None else (row[0] if row else None)
    if budget is None:
        return None
    spent = float(row[1] or 0.0) if row else 0.0
    committed = conn.execute(
        text(
            "SELECT coalesce(sum(cost), 0) FROM outbox WHERE campaign_id = :c"
            " AND state IN ('pending', 'deferred', 'sending')"
        ),
        {"c": step.campaign_id},
    ).scalar_one()
    return float(budget) - spent - float(committed)


def _warnings(prep: Prepared) -> list[str]:
    return [f"{v}: {msg}" for v, msgs in prep.bad.items() for msg in msgs]


def preflight(
    engine: Engine, step: DispatchStep, *, policy: Policy | None = None, now_ts: int | None = None
) -> PreflightReport:
    """Return what ``step`` would do under the policy, without writing anything."""
    policy = policy or Policy.load()
    now = int(now_ts if now_ts is not None else time.time())
    tally = Tally()
    with engine.connect() as conn:
        prep = _prepare(conn, step, policy, now)
        with relaxed_gc():
            for _rows in evaluate(conn, prep, tally):
                pass
        conn.rollback()
    return _report(step, prep, tally)


def _report(step: DispatchStep, prep: Prepared, tally: Tally) -> PreflightReport:
    return PreflightReport(
        total=tally.total,
        would_send=tally.send,
        deferred=tally.deferred,
        suppressed=dict(tally.suppressed),
        holdout=len({prep.canon[u] for u in step.holdout}),
        cost=round(tally.cost, 4),
        by_channel=dict(tally.by_channel),
        cost_by_channel={k: round(v, 4) for k, v in tally.cost_by_channel.items()},
        fallback=fallback_bound(step, tally.by_channel, prep.cost),
        warnings=_warnings(prep),
    )


def enqueue(
    engine: Engine,
    step: DispatchStep,
    *,
    policy: Policy | None = None,
    now_ts: int | None = None,
    chunk: int = 20000,
) -> EnqueueResult:
    """Write the step's outbox rows and members (idempotent; bad input writes nothing).

    Recipients beyond what the step's approved cards permit are suppressed with reason
    ``over_approved_bound`` (:mod:`userops.dispatch.bounds`).
    """
    policy = policy or Policy.load()
    now = int(now_ts if now_ts is not None else time.time())
    with step_lock(engine, step.campaign_id, step.step_id):
        return _enqueue(engine, step, policy, now, chunk)


def _enqueue(
    engine: Engine, step: DispatchStep, policy: Policy, now: int, chunk: int
) -> EnqueueResult:
    with engine.begin() as conn:
        prep = _prepare(conn, step, policy, now)
        prep.allowance = load_allowance(conn, step.campaign_id, step.step_id)
        ensure_campaign(conn, step.campaign_id, budget=step.budget)
        for c in step.contents.values():
            put_record(conn, CONTENT_ENTITY, content_record(step, c))
        if step.fallback is not None:
            fb = step.fallback
            fb_variant = fb.variant_id or next(
                (v for v, c in step.contents.items() if c.channel == fb.channel), None
            )
            put_record(
                conn,
                STEP_ENTITY,
                {
                    "fallback": fb.model_dump(),
                    "variant": fb_variant,
                    "marketing": step.marketing,
                    "send_window": step.send_window.model_dump() if step.send_window else None,
                    "content": content_record(step, step.contents[fb_variant])
                    if fb_variant
                    else None,
                    "by_persona": {
                        p: {"variant": v, **content_record(step, step.contents[v])}
                        for p, v in fb.variant_by_persona.items()
                    },
                },
                entity_id=f"{step.campaign_id}|{step.step_id}"[:64],
            )
        _write_holdout(conn, step, prep)
    with relaxed_gc():
        inserted, tally = _write_chunks(engine, prep, chunk)
    result = EnqueueResult(
        step.campaign_id,
        step.step_id,
        inserted,
        tally.existing,
        tally.send,
        tally.deferred,
        dict(tally.suppressed),
        len({prep.canon[u] for u in step.holdout}),
        round(tally.cost, 4),
    )
    with engine.begin() as conn:
        conn.execute(
            insert(AuditLog).values(
                actor="dispatch",
                action="dispatch.enqueue",
                entity_type="campaign",
                entity_id=step.campaign_id,
                detail={**result.__dict__, "warnings": _warnings(prep)},
            )
        )
    return result


def _write_chunks(engine: Engine, prep: Prepared, chunk: int) -> tuple[int, Tally]:
    """Evaluate and write chunk by chunk, one transaction each (re-running completes a crash).

    One writer thread writes chunk *i* (its own connection, in order) while this thread
    evaluates chunk *i+1*: the store's insert work runs outside the GIL (SQLite) or in the
    server (PostgreSQL), overlapping the policy evaluation. At most one chunk waits.
    """
    inserted, tally = 0, Tally()
    with ThreadPoolExecutor(1, thread_name_prefix="enqueue-write") as writer:
        pending: Future[int] | None = None
        try:
            with engine.connect() as conn:
                for rows in evaluate(conn, prep, tally, chunk):
                    conn.rollback()  # end the read snapshot before the next chunk's reads
                    if pending is not None:
                        inserted += pending.result()
                    pending = writer.submit(_write_committed, engine, prep, rows)
            if pending is not None:
                inserted += pending.result()
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
    return inserted, tally


def _write_committed(engine: Engine, prep: Prepared, rows: list[Row]) -> int:
    with write_turn(engine), engine.begin() as conn:
        _write_rows(conn, prep, rows)
    return len(rows)


def _write_rows(conn: Connection, prep: Prepared, rows: list[Row]) -> None:
    personas = {v: c.persona for v, c in prep.step.contents.items()}
    members = [(r[1], r[2], r[3], "treatment", r[5], personas.get(r[5]), r[4], r[12]) for r in rows]
    if is_pg(conn):  # COPY + one INSERT … SELECT: same rows, same ON CONFLICT DO NOTHING
        insert_ignore(conn, "outbox", _OUTBOX_COLS, rows, {"attempts": "0"})
        insert_ignore(conn, "campaign_members", _MEMBER_COLS, members)
        return
    many(conn, _INSERT_OUTBOX, rows)
    many(conn, _INSERT_MEMBER, members)


def _write_holdout(conn: Connection, step: DispatchStep, prep: Prepared) -> None:
    users = sorted({prep.canon[u] for u in step.holdout})
    many(
        conn,
        _INSERT_MEMBER,
        [(step.campaign_id, step.step_id, u, "holdout", None, None, None, prep.now) for u in users],
    )
