"""Local time in the user's own zone: waits until a time of day, yearly anniversaries.

Wall-clock times are converted with :mod:`zoneinfo` (an unknown zone falls back as the
dispatch policy's does), so a DST change moves the instant, not the local time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from userops.dispatch.policy import zone
from userops.journeys.nodes import WEEKDAYS, LocalTime


def at_local(day: date, hhmm: str, tz: str) -> int:
    """The epoch second of ``hhmm`` on ``day`` in zone ``tz``."""
    return int(datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone(tz)).timestamp())


def local_day(ts: int, tz: str) -> date:
    """The local date of ``ts`` in zone ``tz``."""
    return datetime.fromtimestamp(ts, zone(tz)).date()


def wake_until(now: int, tz: str, until: LocalTime) -> int:
    """The first instant after ``now`` at the local time ``until`` (on its weekdays)."""
    days = {WEEKDAYS.index(d) for d in until.weekdays} or set(range(7))
    today = local_day(now, tz)
    for d in range(9):
        day = today + timedelta(days=d)
        ts = at_local(day, until.time, tz)
        if ts > now and day.weekday() in days:
            return ts
    return now + 86400  # unreachable: some weekday within 8 days always matches


def parse_month_day(value: str | None) -> tuple[int, int, int | None] | None:
    """``(month, day, year or None)`` of ``YYYY-MM-DD`` (also with a time) or ``MM-DD``."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()[:10]
    try:
        if len(text) == 5:
            d = datetime.strptime(f"2000-{text}", "%Y-%m-%d").date()
            return d.month, d.day, None
        d = date.fromisoformat(text)
    except ValueError:
        return None
    return d.month, d.day, d.year


def anniversary_day(year: int, month: int, day: int) -> date:
    """The anniversary of ``month``-``day`` in ``year`` (29 February is the 28th otherwise)."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def anniversaries(
    lo: int, hi: int, tz: str, month: int, day: int, at: str, after_year: int | None
) -> list[tuple[int, int]]:
    """``(year, ts)`` of each anniversary at local time ``at`` with ``lo < ts <= hi``.

    ``after_year``: only anniversaries in later years (the original date is not one).
    """
    out: list[tuple[int, int]] = []
    first = local_day(lo, tz).year - 1
    last = local_day(hi, tz).year + 1
    for year in range(first, last + 1):
        if after_year is not None and year <= after_year:
            continue
        ts = at_local(anniversary_day(year, month, day), at, tz)
        if lo < ts <= hi:
            out.append((year, ts))
    return out
