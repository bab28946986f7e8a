"""Build the traits table: one wide row per canonical user (catalog in docs/traits.md).

Aggregates come from a few SQL passes grouped by canonical user
(:mod:`userops.cdp.traits.sql`), the rest is computed vectorized with numpy
(:mod:`userops.cdp.traits.rules`, :mod:`userops.cdp.predict.score`), and the table is replaced in
one transaction (:mod:`userops.cdp.traits.write`). Fitted model parameters go to ``model_fits``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, insert, text

from userops.cdp.predict.score import Predictions, predict, summarize_order_days
from userops.cdp.traits import calls as traits_calls
from userops.cdp.traits import channel as tc
from userops.cdp.traits import population as tp
from userops.cdp.traits import rules
from userops.cdp.traits import sql as q
from userops.cdp.traits.table import Table
from userops.cdp.traits.write import write_traits
from userops.domain import DERIVED_EVENT_TYPES, EVENT_TYPES
from userops.store.models import ModelFit

Progress = Callable[[str], None]
DAY = 86400


@dataclass
class BuildResult:
    """What a build did: how many users, as of when, fitted parameters, lifecycle counts."""

    as_of: date
    """The as-of day (events up to the end of that UTC day count)."""
    users: int
    """Canonical users with a trait row."""
    params: dict[str, Any] = field(default_factory=dict)
    """The ``--json`` dict: as_of, users, bgnbd, bgnbd_per_week, gamma_gamma, lifecycle..."""


def newest_event_day(target: Engine | Connection, today: date | None = None) -> date | None:
    """The UTC day of the store's newest event no later than ``today`` (None: no events).

    One index probe per event type (``ix_events_type_ts``) instead of a scan of the table.
    Events derived from traits (``lifecycle_stage_changed``) do not count. ``today``
    defaults to today UTC.
    """
    today = today or datetime.now(UTC).date()
    cut = (today - date(1970, 1, 1)).days * DAY + DAY
    probe = text("SELECT max(ts) FROM events WHERE type = :t AND ts < :cut")
    types = [t for t in EVENT_TYPES if t not in DERIVED_EVENT_TYPES]
    if isinstance(target, Connection):
        found = [target.execute(probe, {"t": t, "cut": cut}).scalar() for t in types]
    else:
        with target.connect() as conn:
            found = [conn.execute(probe, {"t": t, "cut": cut}).scalar() for t in types]
    ts = max((int(v) for v in found if v is not None), default=None)
    return None if ts is None else datetime.fromtimestamp(ts, UTC).date()


def _as_of_day(engine: Engine, as_of: date | None) -> tuple[date, int]:
    day = as_of or newest_event_day(engine) or datetime.now(UTC).date()
    return day, (day - date(1970, 1, 1)).days


def fetch(conn: Connection, d: q.Dialect, as_of_day: int, say: Progress) -> dict[str, Any]:
    """Run the aggregate queries (on the records of ``d``, or all) as of ``as_of_day``."""
    cut = (as_of_day + 1) * DAY
    say("users")
    got: dict[str, Any] = {"users": q.canonical_users(conn, d)}
    d = q.copy_events(conn, d, cut)  # a few records on SQLite: their events read once
    try:
        say("orders")
        got["orders"] = q.order_days(conn, d, cut, as_of_day - 29)
        say("events")
        got["totals"] = q.event_totals(conn, d, cut)
        say("channels, content, interests")
        got["channel"] = q.channel_responses(conn, d, cut)
        got["content"] = q.content_scores(conn, d, cut, rules.CONTENT_WEIGHTS)
        got["interests"] = q.top_interests(conn, d, cut)
    finally:
        q.drop_copy(conn, d)
    say("reachability")
    got["consents"] = q.consents_granted(conn, d)
    got["addresses"] = q.addresses(conn, d)
    return got


def _preferred(
    t: Table, got: dict[str, Any], app: Any, mini: Any, reachable: Any, priors: Any
) -> tuple[np.ndarray[Any, Any], Any]:
    """Preferred channels, and the channel priors (these users' own when ``priors`` is None)."""
    source_channel = {
        "app": "app_push",
        "miniprogram": "miniprogram",
        "wechat": "wechat_template",
        "web": "email",
        "ecommerce": "email",
        "store": "sms",
        "call_center": "voice_call",
    }
    delivered, opened = tc.response_matrix(got["channel"], t)
    if priors is None:
        priors = tc.channel_priors(delivered, opened)
    pref = tc.preferred_by_history(delivered, opened, tc.reachable_matrix(reachable), priors)
    by_open = np.where(app >= mini, "app_push", "miniprogram")
    by_open = np.where((app > 0) | (mini > 0), by_open.astype(object), np.array(None))
    by_source = np.array([source_channel.get(u[4] or "") for u in got["users"]], dtype=object)
    pref = np.where(pref == None, by_open, pref)  # noqa: E711 (elementwise)
    return np.where(pref == None, by_source, pref), priors  # noqa: E711


def _reachable(t: Table, got: dict[str, Any]) -> np.ndarray[Any, Any]:
    consented: dict[str, Any] = {}
    for ch in rules.REACHABLE_ORDER:
        consented[ch] = np.zeros(t.n, dtype=bool)
    if got["consents"]:
        pos, ok = t.positions(np.array([r[0] for r in got["consents"]], dtype=np.int64))
        for p, good, row in zip(pos.tolist(), ok.tolist(), got["consents"], strict=True):
            if good and row[1] in consented:
                consented[row[1]][p] = True
    cols = t.scatter(got["addresses"], 6)
    names = ("phone", "email", "device_id", "wechat_openid", "wechat_unionid")
    has = {n: cols[i] > 0 for i, n in enumerate(names)}
    return rules.reachable_channels(consented, has, cols[5] > 0)


def _affinity(
    t: Table, rows: Any, orders: Any, discounted: Any, prior: Any
) -> tuple[np.ndarray[Any, Any], Any]:
    """Content personas, and the prior (these users' own when ``prior`` is None)."""
    scores = np.zeros((t.n, len(rules.CONTENT_TYPES)))
    known = [r for r in rows if r[1] in rules.CONTENT_TYPES]
    pos, ok = t.positions(np.array([r[0] for r in known], dtype=np.int64))
    col = np.array([rules.CONTENT_TYPES.index(r[1]) for r in known], dtype=np.int64)
    np.add.at(scores, (pos[ok], col[ok]), np.array([float(r[2]) for r in known])[ok])
    has = np.zeros(t.n, dtype=bool)
    has[pos[ok]] = True
    if prior is None:
        prior = rules.content_prior(scores, has)
    return rules.content_affinity(scores, has, orders, discounted, prior), prior


def compute(
    got: dict[str, Any], as_of_day: int, as_of_ts: int, pop: tp.Population | None = None
) -> tuple[list[Any], Predictions, tp.Population]:
    """Trait rows (:data:`TRAIT_COLUMNS` order) of the users in ``got`` (:func:`fetch`).

    Scored against ``pop`` (an earlier build's population: no refit), or against these users
    themselves when None (the full build); returns the population used.
    """
    users = got["users"]
    t = Table(np.array([u[0] for u in users], dtype=np.int64))
    signup = np.array([u[5] // DAY for u in users], dtype=np.float64)
    first, last, n_days, total, first_amt, before_w, in_w = t.scatter(got["orders"], 7, np.nan)
    n_days, total = np.nan_to_num(n_days), np.nan_to_num(total)
    (o_total, o_90, m_365, disc_n, disc_sum, c7, last_c, r_sum, r_n, app, mini) = t.scatter(
        got["totals"], 11, np.nan
    )
    o_total, o_90, m_365 = np.nan_to_num(o_total), np.nan_to_num(o_90), np.nan_to_num(m_365)
    s = summarize_order_days(
        first, last, n_days, total, np.nan_to_num(first_amt), signup, as_of_day
    )
    pred = predict(s, None if pop is None else pop.fitted)
    buyer = n_days > 0
    since_signup = np.maximum(as_of_day - np.minimum(signup, np.where(buyer, first, signup)), 0)
    since_order = np.where(buyer, as_of_day - last, np.nan)
    recency = np.where(buyer, since_order, since_signup)
    reactivated = buyer & (in_w >= 0) & (before_w >= 0) & (in_w - before_w > 180)
    stage = rules.lifecycle_stage(since_signup, o_total, recency, pred.p_alive, reactivated)
    churn = np.where(buyer, 1.0 - pred.p_alive, np.minimum(1.0, since_signup / 180.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        aov = np.where(o_total > 0, total / o_total, 0.0)
        satisfaction = np.where(r_n > 0, r_sum / r_n, np.nan)
    reachable = _reachable(t, got)
    if pop is None:
        rfm = rules.rfm_cuts(np.nan_to_num(since_order), o_total, total)
        ltv = rules.ltv_cuts(pred.ltv_12m, buyer)
    else:
        rfm, ltv = pop.rfm_cuts, pop.ltv_cuts
    app, mini = np.nan_to_num(app), np.nan_to_num(mini)
    pref, priors = _preferred(
        t, got, app, mini, reachable, None if pop is None else pop.channel_priors
    )
    disc_n0 = np.nan_to_num(disc_n)
    affinity, prior = _affinity(
        t, got["content"], o_total, disc_n0, None if pop is None else pop.content_prior
    )
    cols: dict[str, Any] = {
        "user_id": t.ids,
        "as_of_ts": np.full(t.n, as_of_ts),
        "language": [u[1] for u in users],
        "region": [u[2] for u in users],
        "timezone": [u[3] for u in users],
        "days_since_signup": since_signup.astype(np.int64),
        "lifecycle_stage": stage,
        "days_since_last_order": [None if np.isnan(v) else int(v) for v in since_order],
        "orders_90d": o_90.astype(np.int64),
        "orders_total": o_total.astype(np.int64),
        "monetary_365d": np.round(m_365, 2),
        "aov": np.round(aov, 2),
        "rfm_segment": rules.rfm_segment(
            np.nan_to_num(since_order), o_total, total, since_signup, rfm
        ),
        "p_alive": np.round(pred.p_alive, 6),
        "expected_orders_90d": np.round(pred.expected_orders_90d, 6),
        "ltv_12m": np.round(pred.ltv_12m, 2),
        "ltv_tier": rules.ltv_tier(pred.ltv_12m, buyer, ltv),
        "churn_risk": np.round(churn, 6),
        "preferred_channel": pref,
        "reachable_channels": reachable,
        "interests": t.labels(got["interests"], join=True),
        "price_sensitivity": rules.price_sensitivity(o_total, disc_n, disc_sum),
        "content_affinity": affinity,
        "contacts_7d": np.nan_to_num(c7).astype(np.int64),
        "last_contacted_ts": [None if np.isnan(v) else int(v) for v in last_c],
        "satisfaction": [None if np.isnan(v) else round(float(v), 3) for v in satisfaction],
    }
    from userops.cdp.traits.write import TRAIT_COLUMNS

    lists = [c.tolist() if isinstance(c, np.ndarray) else c for c in map(cols.get, TRAIT_COLUMNS)]
    used = pop or tp.Population(pred.fitted, rfm, ltv, priors, prior)
    return list(zip(*lists, strict=True)), pred, used


def build_profiles(
    engine: Engine, *, as_of: date | None = None, progress: Progress | None = None
) -> BuildResult:
    """Compute every canonical user's traits as of the end of ``as_of``.

    ``as_of`` defaults to the day of the store's newest event (not later than today UTC;
    today when there are no events), so a seeded or imported history is profiled as of its
    own end rather than as of the clock.

    Returns the counts and the fitted parameters (also stored in ``model_fits``).
    """
    say = progress or (lambda _stage: None)
    started = time.perf_counter()
    day, as_of_day = _as_of_day(engine, as_of)
    as_of_ts = (as_of_day + 1) * DAY
    with engine.connect() as conn:
        got = fetch(conn, q.Dialect(conn.dialect.name), as_of_day, say)
    say("predict")
    rows, pred, population = compute(got, as_of_day, as_of_ts)
    say("write")
    params = pred.params()
    with engine.begin() as conn:
        write_traits(conn, rows)
        traits_calls.refresh(conn)  # the call traits (feedback columns), over every user
        tp.save(conn, population, as_of_ts)
        for model in ("bgnbd", "gamma_gamma"):
            if params[model] is not None:
                fit = {**params[model]}
                if model == "bgnbd":
                    fit["per_week"] = params["bgnbd_per_week"]
                conn.execute(
                    insert(ModelFit), {"model": model, "as_of_ts": as_of_ts, "params": fit}
                )
    from userops.cdp.segments.columnar import refresh_columnar_copy

    refresh_columnar_copy(engine)  # SQLite stores: the DuckDB copy segment previews scan
    stages = Counter(r[6] for r in rows)
    result = {
        "as_of": day.isoformat(),
        "users": len(rows),
        **params,
        "lifecycle": dict(sorted(stages.items())),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    return BuildResult(as_of=day, users=len(rows), params=result)
