"""What people see of journeys: the list, and one journey with its versions and counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from userops.errors import NotFound
from userops.journeys.counts import version_counts
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


def show_journey(engine: Engine, jid: str) -> dict[str, Any]:
    """One journey: its state, every version (decision, spec of the newest) and counts.

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
            if v.status in ("approved", "superseded"):
                item.update(version_counts(conn, spec, int(v.id), jid, int(v.version)))
            out_versions.append(item)
        latest = JourneySpec.model_validate(vs[-1].spec).dump() if vs else None
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
