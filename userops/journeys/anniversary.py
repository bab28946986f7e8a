"""Anniversary entries: birthdays and sign-up days, at a local time in each user's zone.

Every ``EVERY_S`` seconds a pass reads each canonical user's zone, first sign-up time and
``birthday`` trait (``users.attributes.traits.birthday``, as identify stores it) and lets
enter everyone whose anniversary instant (the date in this year at ``at`` local time;
29 February is the 28th in other years) fell since the previous pass. The entry key is
``a:<user>:<year>``, so a year's anniversary enters once whatever the passes do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, select, text

from userops.errors import UsageError
from userops.journeys.entry import CAS_SCAN, cas, enter
from userops.journeys.events import canonical, users
from userops.journeys.send import VersionCtx
from userops.journeys.spec import AnniversaryTrigger
from userops.journeys.timing import anniversaries, local_day, parse_month_day

EVERY_S = 300
"""Seconds between two scans of the users' dates (an entry comes at most this late)."""


def _dates(conn: Connection, kind: str) -> dict[int, tuple[str, Any]]:
    """Per canonical user: ``(zone of the canonical record, date)``.

    The sign-up time is the earliest of the user's records; the birthday the canonical
    record's, else any record's.
    """
    birthday = users.c.attributes[("traits", "birthday")].as_string()
    value: Any = birthday if kind == "birthday" else users.c.created_ts
    zones: dict[int, str] = {}
    values: dict[int, Any] = {}
    for cid, rid, tz, v in conn.execute(select(canonical(), users.c.id, users.c.timezone, value)):
        c = int(cid)
        if c == rid:
            zones[c] = str(tz or "")
        if v is None:
            continue
        if kind == "signup":
            values[c] = min(int(values.get(c, v)), int(v))
        elif c == rid or c not in values:
            values[c] = v
    return {c: (zones.get(c, ""), v) for c, v in values.items()}


def anniversary_pass(engine: Engine, vc: VersionCtx, *, entries: bool, now: int) -> int:
    """Scan the users' dates when due; return how many users entered."""
    trig = vc.spec.trigger
    if not isinstance(trig, AnniversaryTrigger):
        raise UsageError(f"anniversary_pass needs an anniversary trigger, not {trig.kind!r}")
    with engine.connect() as conn:
        lo = int(
            conn.execute(
                text("SELECT scan_ts FROM journey_versions WHERE id = :v"), {"v": vc.version_id}
            ).scalar_one()
        )
        if now < lo + EVERY_S:
            return 0
        dates = _dates(conn, trig.date) if entries else {}
    cands: list[tuple[int, str]] = []
    for uid, (tz, value) in dates.items():
        if trig.date == "signup":
            day = local_day(int(value), tz)
            md: tuple[int, int, int | None] | None = (day.month, day.day, day.year)
        else:
            md = parse_month_day(value)
        if md is None:
            continue
        month, mday, year = md
        after = year if trig.date == "signup" else None
        for y, _ts in anniversaries(lo, now, tz, month, mday, trig.at, after):
            cands.append((uid, f"a:{uid}:{y}"))
    with engine.begin() as conn:
        if not cas(conn, CAS_SCAN, vc.version_id, lo, now):
            return 0
        return enter(conn, vc, cands, now) if cands else 0
