"""The operator's send window of a step, in each user's own zone, combined with quiet hours.

A :class:`userops.dispatch.models.SendWindow` says between which local times a step's
messages may go out. It is enforced like quiet hours — at enqueue and again in the
worker's gate right before the adapter — and never drops a message: outside the window a
message is deferred to the next allowed minute. The allowed time is inside the window AND
outside the policy's quiet hours (marketing); both are wall-clock times in the user's zone,
converted with :mod:`zoneinfo` so a DST change moves the instant, not the local time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from userops.dispatch.models import DispatchStep
from userops.dispatch.policy import Policy, zone
from userops.errors import BadInput

Bounds = tuple[time, time]
"""``(start, end)`` local times; ``start > end`` wraps midnight."""


@lru_cache(maxsize=256)
def parse_bounds(start: str, end: str) -> Bounds:
    """``("10:00", "18:00")`` as times (the strings are validated by the model)."""
    return time.fromisoformat(start), time.fromisoformat(end)


def stored_bounds(content: dict[str, Any]) -> Bounds | None:
    """The window stored in an outbox row's ``content`` JSON, if any."""
    w = content.get("window")
    if not w:
        return None
    return parse_bounds(str(w[0]), str(w[1]))


def inside(local: time, b: Bounds) -> bool:
    """Whether the local time ``local`` is in the window ``b`` (end exclusive)."""
    start, end = b
    if start < end:
        return start <= local < end
    return local >= start or local < end


@lru_cache(maxsize=65536)
def next_in_window(ts: int, tz: str, start: time, end: time) -> int:
    """First epoch second at or after ``ts`` whose local time in ``tz`` is in the window."""
    z = zone(tz)
    local = datetime.fromtimestamp(ts, z)
    now = local.time().replace(tzinfo=None)
    if inside(now, (start, end)):
        return ts
    day = local.date()
    if start < end and now >= end:  # after today's window: tomorrow's start
        day += timedelta(days=1)
    first = int(datetime.combine(day, start, tzinfo=z).timestamp())
    early = int(datetime.combine(day, start, tzinfo=z).replace(fold=1).timestamp())
    if early < first:  # start falls in a spring-forward gap: the first minute after the jump
        t = max(early, ts)
        while t < first and not inside(datetime.fromtimestamp(t, z).time(), (start, end)):
            t += 60
        return min(t, first)
    return first


def next_allowed(policy: Policy, ts: int, tz: str, window: Bounds | None, marketing: bool) -> int:
    """First time at or after ``ts`` inside ``window`` and (marketing) outside quiet hours."""
    t = ts
    for _ in range(16):
        q = policy.next_quiet_free(t, tz) if marketing else t
        w = q if window is None else next_in_window(q, tz, window[0], window[1])
        if w == t:
            return t
        t = w
    return t  # not reached for a window that meets the allowed hours (checked at enqueue)


def window_problem(policy: Policy, b: Bounds, marketing: bool) -> str | None:
    """Why ``b`` can never be used (no minute inside it outside quiet hours), else None."""
    q = policy.quiet_hours
    if not marketing or q is None or q.start == q.end:
        return None
    quiet = (q.start, q.end)
    for m in range(0, 24 * 60):
        t = time(m // 60, m % 60)
        if inside(t, b) and not inside(t, quiet):
            return None
    return (
        f"no minute of {b[0]:%H:%M}-{b[1]:%H:%M} is outside the quiet hours "
        f"{q.start:%H:%M}-{q.end:%H:%M}"
    )


def step_bounds(step: DispatchStep, policy: Policy) -> Bounds | None:
    """The step's window as local times; BadInput when no minute of it may ever be used."""
    w = step.send_window
    if w is None:
        return None
    bounds = parse_bounds(w.start, w.end)
    problem = window_problem(policy, bounds, step.marketing)
    if problem:
        raise BadInput.one(problem, field="send_window", value=f"{w.start}-{w.end}")
    return bounds
