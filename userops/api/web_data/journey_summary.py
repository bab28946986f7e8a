"""A journey proposed in a chat thread, summed up for the thread page.

The loop's ``journey`` node ends a thread with status ``journey_proposed`` and the
proposal in ``journey`` (id, version, approval id, forecast, findings; not the spec). The
page shows what an operator needs before the approver opens the version's card: the
trigger, the steps in order, the forecast's headline, where the version stands, and the
link to its card (``/ui/journeys/<id>/<version>``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from userops.errors import NotFound
from userops.journeys.records import version_spec
from userops.journeys.spec import JourneySpec
from userops.journeys.tables import versions

HEADLINE = ("entries_per_day", "messages_per_user_week", "cost_per_month", "goal_rate")
"""The forecast's numbers the thread shows (the card shows them all)."""


def journey_summary(engine: Engine, proposal: dict[str, Any] | None) -> dict[str, Any] | None:
    """The thread's journey proposal, or None when it has none (or the version is gone)."""
    if not proposal or not proposal.get("journey_id") or not proposal.get("version"):
        return None
    jid, version = str(proposal["journey_id"]), int(proposal["version"])
    try:
        spec = version_spec(engine, jid, version)
    except NotFound:
        return None
    q = select(versions.c.status).where(versions.c.journey_id == jid, versions.c.version == version)
    with engine.connect() as conn:
        status = conn.execute(q).scalar()
    forecast = proposal.get("forecast") if isinstance(proposal.get("forecast"), dict) else None
    return {
        "journey_id": jid,
        "version": version,
        "name": spec.name,
        "status": str(status or proposal.get("status") or ""),
        "trigger": _trigger(spec),
        "steps": _steps(spec),
        "forecast": {k: float(forecast.get(k) or 0) for k in HEADLINE} if forecast else None,
        "url": f"/ui/journeys/{jid}/{version}",
    }


def _trigger(spec: JourneySpec) -> dict[str, str]:
    """``kind`` and what it names: the event, the date, the stages (empty for a segment)."""
    t = spec.trigger.model_dump(mode="json", by_alias=True)
    kind = str(t.get("kind"))
    what = {
        "event": str(t.get("event") or ""),
        "anniversary": f"{t.get('date')} {t.get('at')}",
        "lifecycle": " → ".join(str(s) for s in t.get("to") or []),
    }.get(kind, "")
    return {"kind": kind, "what": what}


def _steps(spec: JourneySpec) -> list[dict[str, Any]]:
    """Each node in order: ``kind``, a short detail (a wait, an event...), its channels."""
    out = []
    for n in spec.nodes:
        d = n.model_dump(mode="json", by_alias=True)
        kind = str(d.get("kind"))
        detail = ""
        channels = [str(c) for c in d.get("channels") or []] if kind == "send" else []
        if kind == "wait" and d.get("duration"):
            detail = _duration(d["duration"])
        elif kind == "wait" and d.get("until"):
            detail = str(d["until"].get("time") or "")
        elif kind == "wait_for_event":
            detail = f"{d['event'].get('event')} ≤ {_duration(d['timeout'])}"
        elif kind == "split":
            detail = " / ".join(str(a.get("name")) for a in d.get("arms") or [])
        elif kind == "exit":
            detail = str(d.get("reason") or "")
        out.append({"id": str(d.get("id")), "kind": kind, "detail": detail, "channels": channels})
    return out


def _duration(d: dict[str, Any]) -> str:
    units = (("days", "d"), ("hours", "h"), ("minutes", "m"))
    return " ".join(f"{int(d[k])}{u}" for k, u in units if d.get(k)) or "0m"
