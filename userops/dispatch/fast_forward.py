"""Deliver one campaign of a simulated store with the worker's clock moved ahead.

The sandbox demo and the eval runner cannot wait two days for quiet hours, send windows
and fallbacks: :func:`fast_forward` runs a worker at ``now``, 12, 24 and 48 hours later and
at every due time of the campaign's waiting rows in between. The worker claims only that
campaign's rows (and spawns only its fallbacks), and the store must be marked simulated
(:mod:`userops.store.meta`): on a real store a moved clock would send other campaigns'
messages hours early, so it is refused here, below every caller.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text

from userops.dispatch.policy import Policy
from userops.store.meta import require_simulated

HOURS = (0, 12, 24, 48)
"""Fixed stops of the moved clock, in hours after ``now``."""
MAX_STOPS = 64


def _fixed_clock(ts: int) -> Callable[[], float]:
    return lambda: float(ts)


def next_due(engine: Engine, campaign_id: str, after: int) -> int | None:
    """Earliest due time after ``after`` of the campaign's rows still waiting."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT min(not_before_ts) FROM outbox WHERE campaign_id = :c"
                " AND state IN ('pending', 'deferred') AND not_before_ts > :t"
            ),
            {"c": campaign_id, "t": after},
        ).scalar()
    return int(row) if row is not None else None


def fast_forward(engine: Engine, campaign_id: str, *, policy: Policy, now: int) -> int:
    """Deliver ``campaign_id``'s due rows through the sandbox up to ``now`` + 48 h.

    Returns the last clock time the worker ran at.

    Raises:
        NotSimulated: the store is not marked simulated; nothing is claimed or sent.
    """
    from userops.dispatch.worker import Worker

    with engine.connect() as conn:
        require_simulated(conn, "a moved dispatch clock")
    fixed = [now + h * 3600 for h in HOURS]
    t = now
    for _ in range(MAX_STOPS):
        worker = Worker(engine, None, policy=policy, clock=_fixed_clock(t), campaigns=[campaign_id])
        worker.run(stop_when_idle=True)
        due = next_due(engine, campaign_id, t)
        later = [x for x in [*fixed, due] if x is not None and t < x <= fixed[-1]]
        if not later:
            break
        t = min(later)
    return t
