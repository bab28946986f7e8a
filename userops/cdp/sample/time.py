"""Time of the sample population: a seasonal calendar and local times of day.

Activity follows a daily intensity ``m(day)`` (weekly pattern times shopping festivals:
618 and 双11 for zh; Prime Day, Black Friday, Cyber Monday and Christmas for en) with mean 1.
Processes are simulated in *operational time* ``U(t) = ∫ m``; mapping back with ``U⁻¹``
turns a homogeneous process into a seasonal one while keeping its average rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from userops.cdp.sample.np import F64, I64

DAY = 86_400
WINDOW_DAYS = 730
"""History length: signups and activity spread over the two years before ``as_of``."""

ORDER_HOURS = np.array(
    [1, .6, .3, .2, .2, .3, .6, 1.2, 2, 2.6, 3, 3.4, 4, 3.6, 3.2, 3, 3, 3.2, 3.8, 4.6, 5.6, 6.4,
     5.6, 3]
)  # fmt: skip
"""Relative share of orders and visits per local hour (lunch and evening peaks)."""

SEND_HOURS = np.zeros(24)
SEND_HOURS[[10, 12, 19, 20]] = (3, 1, 2, 2)
"""Local hours at which the historical campaigns were sent."""


def _festival_zh(d: date) -> float:
    m = 1.0
    if d.month == 6 and d.day <= 18:  # 618
        m *= 1.3 + (3.5 if d.day == 18 else 0.0) + (0.6 if d.day == 1 else 0.0)
    if (d.month == 10 and d.day >= 20) or (d.month == 11 and d.day <= 11):  # 双11
        m *= 1.5 + (5.0 if (d.month, d.day) == (11, 11) else 0.0)
    if d.month == 12 and d.day == 12:  # 双12
        m *= 2.0
    if d.month == 1 and 5 <= d.day <= 20:  # 年货节
        m *= 1.3
    if d.month == 2 and 1 <= d.day <= 10:  # logistics slow around the Spring Festival
        m *= 0.6
    return m


def _festival_en(d: date) -> float:
    m = 1.0
    thanksgiving = _nth_weekday(d.year, 11, 3, 4)
    if d == thanksgiving + timedelta(days=1):  # Black Friday
        m *= 5.0
    elif thanksgiving <= d <= thanksgiving + timedelta(days=4):  # to Cyber Monday
        m *= 3.0
    elif d.month == 12 and d.day <= 22:
        m *= 1.7
    elif d.month == 12 and d.day >= 26:
        m *= 0.7
    if d.month == 7 and 8 <= d.day <= 11:  # Prime Day
        m *= 2.2
    if d.month == 8 and d.day >= 10:  # back to school
        m *= 1.2
    return m


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


@dataclass(frozen=True)
class Calendar:
    """Days of the history window, their intensity and the operational-time maps."""

    start_ts: int
    """UTC epoch seconds of day 0 (midnight)."""
    end_t: float
    """``as_of`` in days since day 0."""
    grid: F64
    """Day boundaries ``0..days`` (days since day 0)."""
    cum: F64
    """Operational time ``U`` at each boundary."""
    intensity: F64
    """Daily multiplier ``m(day)`` (mean 1)."""

    def to_op(self, t: F64) -> F64:
        """Map times in days to operational time."""
        return np.interp(t, self.grid, self.cum)

    def from_op(self, u: F64) -> F64:
        """Map operational time back to days (clamped to the window)."""
        return np.interp(u, self.cum, self.grid)

    @property
    def end_op(self) -> float:
        """Operational time of ``as_of``."""
        return float(np.interp(self.end_t, self.grid, self.cum))


def build_calendar(as_of_ts: int, language: str) -> Calendar:
    """Build the seasonal calendar of the two years before ``as_of_ts``."""
    last_day = datetime.fromtimestamp(as_of_ts, UTC).date()
    first_day = last_day - timedelta(days=WINDOW_DAYS)
    start_ts = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp())
    days = WINDOW_DAYS + 1
    festival = _festival_zh if language == "zh" else _festival_en
    weekend = 1.15 if language == "zh" else 1.1
    m = np.empty(days)
    for i in range(days):
        d = first_day + timedelta(days=i)
        m[i] = festival(d) * (weekend if d.weekday() >= 5 else 1.0)
    m /= m.mean()
    grid = np.arange(days + 1, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(m)])
    return Calendar(start_ts, (as_of_ts - start_ts) / DAY, grid, cum, m)


def stamp(
    rng: np.random.Generator, cal: Calendar, t: F64, offset_s: I64, hours: F64, lo: I64, hi: int
) -> I64:
    """Turn event days ``t`` into epoch seconds at a plausible local hour, within [lo, hi).

    ``offset_s`` is each event's owner's UTC offset in seconds; ``hours`` the relative weight
    of each local hour.
    """
    n = len(t)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    local = hour * 3600 + rng.integers(0, 3600, size=n)
    ts = cal.start_ts + np.floor(t).astype(np.int64) * DAY + local - offset_s
    return np.clip(ts, lo, hi - 1).astype(np.int64)
