"""The segment preview: size, reach, distributions, means, samples, overlaps — no contact data.

The counts come from ONE aggregate pass over the matching trait rows (conditional sums grouped
by region, two enum counts packed per ``SUM``), which on SQLite is several times faster than
one query per distribution. The same query runs on the DuckDB columnar copy of the traits
when :func:`summarize` gets a connection to it (:mod:`userops.cdp.segments.columnar`). Samples
come from ``traits.summary`` and pass a contact-data check (:mod:`userops.privacy`): anything
that looks like a phone number, an email or an openid is redacted, and a sample that would
still carry one is dropped.

Reach is ``traits.reachable_channels``, computed at the last profile build from consent,
addresses and do-not-contact; ``verify_reach`` re-checks it against the current consents and
do-not-contact flags (:mod:`userops.cdp.segments.reach`). The dispatch engine checks both
again at send time for every message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, select

from userops.cdp.segments.spec import SegmentSpec
from userops.cdp.segments.sql import list_contains, traits
from userops.cdp.segments.summary import CampaignOverlap, SampleProfile, SegmentSummary
from userops.cdp.traits.catalog import LIFECYCLE_STAGES, LTV_TIERS
from userops.domain import CHANNELS
from userops.privacy import find_contact_data, redact
from userops.store.models import Campaign, CampaignMember

ACTIVE_CAMPAIGN_STATES: tuple[str, ...] = ("approved", "scheduled", "running")
"""Campaign statuses that count as active for the overlap."""
MISSING = "unknown"
"""Distribution key of a missing value."""


PACK = 1 << 31
"""Two counts share one ``SUM``: the first in the low 31 bits, the second above them."""


def _packed_counts(col: Any, values: tuple[str, ...]) -> list[Any]:
    """Count ``col = v`` for each value, two values per ``SUM`` (half the per-row work)."""
    sums = []
    for i in range(0, len(values), 2):
        whens = {v: PACK**j for j, v in enumerate(values[i : i + 2])}
        sums.append(func.sum(case(whens, value=col, else_=0)))
    return sums


def _unpack(packed: list[Any], values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, total in enumerate(packed):
        n = int(total or 0)
        for j, v in enumerate(values[2 * i : 2 * i + 2]):
            out[v] = (n >> (31 * j)) & (PACK - 1)
    return out


_Slice = tuple[str, tuple[str, ...], int, int]
ENUM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lifecycle_stage", LIFECYCLE_STAGES),
    ("ltv_tier", LTV_TIERS),
    ("preferred_channel", CHANNELS),
)


def _count_if(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _aggregate_query(
    cond: ColumnElement[bool], *, reach_per_row: bool = False
) -> tuple[Select[Any], list[_Slice]]:
    """One pass over the matching rows, every count in it.

    On the store the pass groups by region and reach list and reach is counted per group in
    Python (:func:`_fold`): a few thousand distinct ``(region, reachable_channels)`` pairs
    instead of eight substring tests per row, and on SQLite the groups come straight off the
    preview index (``ix_traits_preview``) in order. ``reach_per_row`` (the DuckDB copy and
    PostgreSQL, where more groups cost more than the substring tests: more rows to hash and
    to send) groups by region only and counts reach with eight conditional sums.
    """
    packed: list[Any] = []
    slices: list[_Slice] = []
    for group, values in ENUM_GROUPS:
        cols = _packed_counts(traits.c[group], values)
        slices.append((group, values, len(packed), len(packed) + len(cols)))
        packed += cols
    keys: list[Any] = [traits.c.region]
    reach: list[Any] = []
    if reach_per_row:
        reach = [_count_if(list_contains(traits.c.reachable_channels, ch)) for ch in CHANNELS]
    else:
        keys.append(traits.c.reachable_channels)
    sums = [func.count(), func.sum(traits.c.churn_risk), func.sum(traits.c.ltv_12m)]
    query = select(*keys, *sums, *reach, *packed).where(cond).group_by(*keys)
    return query, slices


_NEEDLES = tuple((ch, f",{ch},") for ch in CHANNELS)


def _fold(
    rows: Iterable[Sequence[Any]], slices: list[_Slice], *, reach_per_row: bool = False
) -> dict[str, Any]:
    """Add up the per-group rows of the aggregate pass (see :func:`_aggregate_query`)."""
    k = 1 if reach_per_row else 2  # group key columns
    size, churn, ltv = 0, 0.0, 0.0
    counts: dict[str, dict[str, int]] = {g: {} for g, _ in ENUM_GROUPS}
    reachable = {ch: 0 for ch in CHANNELS}
    regions: dict[str, int] = {}
    for row in rows:
        n = int(row[k])
        size += n
        churn += float(row[k + 1] or 0.0)
        ltv += float(row[k + 2] or 0.0)
        region = row[0] or MISSING
        regions[region] = regions.get(region, 0) + n
        rest = list(row[k + 3 :])
        if reach_per_row:
            for ch, value in zip(CHANNELS, rest[: len(CHANNELS)], strict=True):
                reachable[ch] += int(value or 0)
            rest = rest[len(CHANNELS) :]
        else:
            reach = row[1] or ""
            for ch, needle in _NEEDLES:
                if needle in reach:  # as list_contains: the delimited element, case-sensitive
                    reachable[ch] += n
        for group, values, lo, hi in slices:
            for key, value in _unpack(rest[lo:hi], values).items():
                counts[group][key] = counts[group].get(key, 0) + value
    for group in list(counts):
        known = sum(counts[group].values())
        counts[group] = {k: v for k, v in counts[group].items() if v}
        if size - known:
            counts[group][MISSING] = size - known
    counts["region"] = dict(sorted(regions.items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "size": size,
        "reachable": reachable,
        "distributions": counts,
        "mean_churn_risk": churn / size if size else None,
        "mean_ltv_12m": ltv / size if size else None,
    }


def safe_summary(text: str) -> str | None:
    """Return ``text`` with contact data redacted, or ``None`` if some would remain."""
    cleaned = redact(text)
    return None if find_contact_data(cleaned) else cleaned


def _sample(row: Sequence[Any]) -> SampleProfile | None:
    stage, tier, churn, summary = row
    text = safe_summary(str(summary))
    if not text:
        return None
    return SampleProfile(
        lifecycle_stage=stage, ltv_tier=tier, churn_risk=float(churn), summary=text
    )


_SAMPLE_COLUMNS = (
    traits.c.lifecycle_stage,
    traits.c.ltv_tier,
    traits.c.churn_risk,
    traits.c.summary,
)


def _samples(conn: Connection, cond: ColumnElement[bool], n: int = 5) -> list[SampleProfile]:
    """The first ``n`` members (by id) with a summary, those with contact data left out."""
    query = (
        select(*_SAMPLE_COLUMNS)
        .where(cond, traits.c.summary.is_not(None))
        .order_by(traits.c.user_id)
        .limit(n)
    )
    return [s for s in map(_sample, conn.execute(query)) if s]


def _samples_by_ids(
    conn: Connection, duck: Any, cond: ColumnElement[bool], n: int = 5
) -> list[SampleProfile]:
    """:func:`_samples` with the matching ids from the columnar copy, summaries from the store."""
    from userops.cdp.segments.columnar import duck_condition_ids

    rows: list[Sequence[Any]] = []
    after, page = -1, 64
    while len(rows) < n:
        ids = duck_condition_ids(duck, cond, after=after, n=page)
        if not ids:
            break
        query = (
            select(*_SAMPLE_COLUMNS)
            .where(traits.c.user_id.in_(ids), traits.c.summary.is_not(None))
            .order_by(traits.c.user_id)
            .limit(n - len(rows))
        )
        rows += list(conn.execute(query))
        after, page = ids[-1], page * 4
    return [s for s in map(_sample, rows) if s]


def _overlap(conn: Connection, cond: ColumnElement[bool]) -> list[CampaignOverlap]:
    camps = Campaign.__table__
    members = CampaignMember.__table__
    active = select(camps.c.id).where(camps.c.status.in_(ACTIVE_CAMPAIGN_STATES)).limit(1)
    if conn.execute(active).first() is None:
        return []  # the join below would still scan the segment
    query = (
        select(camps.c.id, camps.c.name, camps.c.status, func.count(members.c.user_id.distinct()))
        .select_from(
            camps.join(members, members.c.campaign_id == camps.c.id).join(
                traits, traits.c.user_id == members.c.user_id
            )
        )
        .where(camps.c.status.in_(ACTIVE_CAMPAIGN_STATES), cond)
        .group_by(camps.c.id, camps.c.name, camps.c.status)
        .order_by(camps.c.id)
    )
    return [
        CampaignOverlap(campaign_id=cid, name=name, status=status, users=int(n))
        for cid, name, status, n in conn.execute(query)
    ]


def summarize(
    conn: Connection,
    cond: ColumnElement[bool],
    spec: SegmentSpec,
    *,
    verify_reach: bool = False,
    duck: Any | None = None,
) -> SegmentSummary:
    """Build the :class:`SegmentSummary` of the trait rows matching ``cond``.

    ``verify_reach`` adds ``reachable_now`` (one more query joining the current consents).
    ``duck``: a connection to a fresh columnar copy (:mod:`userops.cdp.segments.columnar`)
    that runs the aggregate pass and finds the sample ids; the rest reads the store.
    """
    from userops.cdp.segments.reach import reachable_now

    if duck is not None:
        from userops.cdp.segments.columnar import duck_execute

        query, slices = _aggregate_query(cond, reach_per_row=True)
        agg = _fold(duck_execute(duck, query), slices, reach_per_row=True)
        samples = _samples_by_ids(conn, duck, cond) if agg["size"] else []
    else:
        per_row = conn.dialect.name != "sqlite"  # the grouping pays only off SQLite's index
        query, slices = _aggregate_query(cond, reach_per_row=per_row)
        agg = _fold(conn.execute(query), slices, reach_per_row=per_row)
        samples = _samples(conn, cond) if agg["size"] else []
    now = reachable_now(conn, cond) if verify_reach else None
    overlap = _overlap(conn, cond) if agg["size"] else []
    return SegmentSummary(
        spec=spec.dump(), samples=samples, overlap=overlap, reachable_now=now, **agg
    )
