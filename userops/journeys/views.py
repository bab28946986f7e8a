"""What people see of journeys: the list, and one journey with its versions and counts."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from prompts.catalog import say
from userops.errors import NotFound
from userops.journeys.counts import version_counts
from userops.journeys.forecast import forecast
from userops.journeys.forecast_util import finding_text
from userops.journeys.graph import journey_graph
from userops.journeys.measure import measure_version
from userops.journeys.nodes import SplitNode
from userops.journeys.proposal import proposals
from userops.journeys.spec import JourneySpec
from userops.journeys.tables import journeys, members, versions


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def list_journeys(engine: Engine) -> list[dict[str, Any]]:
    """Every journey: id, name, state, live version, newest version and its status, members."""
    with engine.connect() as conn:
        active: dict[str, int] = dict(
            conn.execute(
                select(members.c.journey_id, func.count())
                .where(members.c.state == "active")
                .group_by(members.c.journey_id)
            ).all()
        )
        newest: dict[str, tuple[int, str]] = {}
        for jid, n, status in conn.execute(
            select(versions.c.journey_id, versions.c.version, versions.c.status).order_by(
                versions.c.version
            )
        ):
            newest[jid] = (int(n), str(status))
        rows = conn.execute(select(journeys).order_by(journeys.c.created_at, journeys.c.id)).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "state": r.state,
            "live_version": r.live_version,
            "latest_version": newest.get(r.id, (0, ""))[0],
            "latest_status": newest.get(r.id, (0, ""))[1],
            "active_members": int(active.get(r.id, 0)),
            "created_by": r.created_by,
            "created_at": _iso(r.created_at),
        }
        for r in rows
    ]


def card(spec: JourneySpec, lang: str | None) -> dict[str, Any]:
    """What the approver reads beside the numbers: the in-flight rule, the splits' rules."""
    splits = [n for n in spec.nodes if isinstance(n, SplitNode)]
    return {
        "in_flight": say("journey.card.in_flight", lang),
        "splits": [
            say(f"journey.card.{'' if n.auto_winner else 'no_'}auto_winner", lang,
                node=n.id, min_n=n.min_per_arm)
            for n in splits
        ],
    }  # fmt: skip


FORECAST_TTL_S = 600
"""A version's forecast is reused this long by a long-running process (the web card)."""
_FORECASTS: dict[tuple[str, str, int, str], tuple[float, dict[str, Any]]] = {}


def _forecast(
    engine: Engine, spec: JourneySpec, jid: str, version: int, now: int | None, lang: str | None
) -> dict[str, Any]:
    """The forecast of a version awaiting approval, as JSON.

    Kept :data:`FORECAST_TTL_S` seconds when ``now`` is None (its ``until`` says when it was
    made): a backtest at a million users takes a minute, the web card is read often.
    """
    key = (str(engine.url), jid, version, lang or "")
    got = _FORECASTS.get(key) if now is None else None
    if got is not None and time.monotonic() - got[0] < FORECAST_TTL_S:
        return got[1]
    fc = forecast(engine, spec, journey_id=jid, now=now)
    out = fc.model_dump(mode="json")
    out["findings_text"] = [finding_text(f, lang) for f in fc.findings]
    if now is None:
        if len(_FORECASTS) > 256:
            _FORECASTS.clear()
        _FORECASTS[key] = (time.monotonic(), out)
    return out


def _live(
    conn: Connection, item: dict[str, Any], spec: JourneySpec, vid: int, jid: str, n: int
) -> None:
    """Counts, graph and measurement of a version that ran."""
    item.update(version_counts(conn, spec, vid, jid, n))
    item["measurement"] = measure_version(conn, spec, vid, jid, n)
    item["graph"] = journey_graph(
        spec,
        {k: c["entered"] for k, c in item["nodes"].items()},
        {(e["from"], e["to"]): e["count"] for e in item["edges"]},
        {k: c["converted"] for k, c in item["nodes"].items()},
    )


def show_journey(
    engine: Engine,
    jid: str,
    *,
    lang: str | None = None,
    with_forecast: bool = True,
    now: int | None = None,
) -> dict[str, Any]:
    """One journey: its state, every version (decision, card, graph) and counts.

    A version awaiting approval carries its ``forecast`` (a 90-day backtest,
    :func:`userops.journeys.forecast.forecast`) and a ``graph`` with the expected counts; an
    approved or superseded one its per-node counts, ``graph`` and ``measurement``. Every
    version has a ``card`` (the in-flight rule, each split's winner rule).

    Raises:
        NotFound: no such journey.
    """
    with engine.connect() as conn:
        j = conn.execute(select(journeys).where(journeys.c.id == jid)).first()
        if j is None:
            raise NotFound(f"no journey {jid!r}")
        vs = conn.execute(
            select(versions).where(versions.c.journey_id == jid).order_by(versions.c.version)
        ).all()
        out_versions = []
        todo: list[tuple[dict[str, Any], JourneySpec]] = []
        proposed = proposals(conn, jid)
        for v in vs:
            spec = JourneySpec.model_validate(v.spec)
            item: dict[str, Any] = {
                "version": v.version,
                "status": v.status,
                "created_by": v.created_by,
                "created_at": _iso(v.created_at),
                "approved_by": v.approved_by,
                "decided_at": _iso(v.decided_at),
                "comment": v.comment,
            }
            item["card"] = card(spec, lang)
            if int(v.version) in proposed:  # designed by the agent: its reading and findings
                item["card"]["proposal"] = proposed[int(v.version)]
            if v.status in ("approved", "superseded"):
                _live(conn, item, spec, int(v.id), jid, int(v.version))
            elif v.status == "awaiting_approval":
                todo.append((item, spec))
            out_versions.append(item)
        latest = JourneySpec.model_validate(vs[-1].spec).dump() if vs else None
    for item, spec in todo if with_forecast else []:
        try:
            item["forecast"] = _forecast(engine, spec, jid, int(item["version"]), now, lang)
        except SQLAlchemyError as exc:  # the card still shows, and says why it has no forecast
            item["forecast_error"] = f"{type(exc).__name__}: {exc}"[:300]
            item["graph"] = journey_graph(spec)
            continue
        item["graph"] = item["forecast"]["graph"]
    return {
        "id": j.id,
        "name": j.name,
        "state": j.state,
        "live_version": j.live_version,
        "created_by": j.created_by,
        "created_at": _iso(j.created_at),
        "versions": out_versions,
        "spec": latest,
    }
