"""The journeys' part of a worker: one :meth:`JourneyRunner.tick` per worker loop.

A tick finds the runnable versions (approved, or superseded with members left, of journeys
running or paused), runs their entry passes (events, segment, anniversaries), goal exits
and wakes (:mod:`userops.journeys.entry`), then advances one batch of due members of the
running journeys (:mod:`userops.journeys.advance`). ``userops worker run`` calls it before
each outbox batch, so journeys and the outbox advance together and the worker is idle only
when neither has work. Time comes from an injected clock.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Engine, select, text

from userops.dispatch.policy import Policy
from userops.journeys.advance import advance_batch
from userops.journeys.anniversary import anniversary_pass
from userops.journeys.check import has_cycle
from userops.journeys.entry import event_pass, segment_pass
from userops.journeys.measure import check_winners
from userops.journeys.nodes import WaitForEventNode
from userops.journeys.send import VersionCtx
from userops.journeys.spec import JourneySpec
from userops.journeys.tables import versions

WINNER_EVERY_S = 60
"""Seconds between two checks of the splits' significance rule (auto winner)."""
_RUNNABLE = text(
    "SELECT v.id, v.journey_id, v.version, v.status, j.state FROM journey_versions v"
    " JOIN journeys j ON j.id = v.journey_id WHERE v.status IN ('approved', 'superseded')"
    " AND j.state IN ('running', 'paused') ORDER BY v.id"
)
_HAS_ACTIVE = text(
    "SELECT 1 FROM journey_members WHERE version_id = :v AND state = 'active' LIMIT 1"
)


class JourneyRunner:
    """Runs the approved journeys of a store, a batch per :meth:`tick`."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.time,
        batch_size: int | None = None,
        lease_s: int | None = None,
        hook: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy or Policy.load()
        self.clock = clock
        self.batch_size = batch_size or self.policy.batch_size
        self.lease_s = lease_s or self.policy.lease_seconds
        self.hook = hook
        """Test seam: called between the claim and the moves of a batch."""
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._specs: dict[int, VersionCtx] = {}
        self.winners: dict[tuple[int, str], str] = {}
        """``(version id, split node) -> arm`` that takes the split's traffic (auto winner)."""
        self._winners_at = -WINNER_EVERY_S

    def _ctx(self, vid: int, jid: str, version: int) -> VersionCtx:
        got = self._specs.get(vid)
        if got is None:  # a version's spec never changes: read once
            with self.engine.connect() as conn:
                raw = conn.execute(select(versions.c.spec).where(versions.c.id == vid)).scalar_one()
            spec = JourneySpec.model_validate(raw)
            got = VersionCtx(vid, jid, version, spec, has_cycle(spec))
            self._specs[vid] = got
        return got

    def runnable(self) -> list[tuple[VersionCtx, bool, bool]]:
        """``(version, takes entries, advances)`` of every version with work to do."""
        out = []
        with self.engine.connect() as conn:
            rows = conn.execute(_RUNNABLE).all()
            for vid, jid, version, status, state in rows:
                if status == "superseded" and conn.execute(_HAS_ACTIVE, {"v": vid}).first() is None:
                    continue
                entries = status == "approved"
                out.append(
                    (self._ctx(int(vid), str(jid), int(version)), entries, state == "running")
                )
        return out

    def tick(self) -> int:
        """Entry passes of every runnable version, then one batch of due members.

        Returns the work done (events consumed, users entered, members claimed): 0 when idle.
        """
        now = int(self.clock())
        work = 0
        versions = self.runnable()
        for vc, entries, running in versions:
            trig = vc.spec.trigger
            open_ = entries and running  # a paused journey consumes, nobody enters
            if _reads_events(vc.spec, entries):
                work += event_pass(self.engine, vc, entries=open_, now=now)
            if entries and trig.kind == "segment":
                work += segment_pass(self.engine, vc, entries=open_, now=now)
            elif entries and trig.kind == "anniversary":
                work += anniversary_pass(self.engine, vc, entries=open_, now=now)
        moving = {vc.version_id: vc for vc, _, running in versions if running}
        if now >= self._winners_at + WINNER_EVERY_S:
            self._winners_at = now
            self.winners = check_winners(self.engine, list(moving.values()))
        if moving:
            work += advance_batch(
                self.engine,
                moving,
                owner=self.owner,
                now=now,
                limit=self.batch_size,
                lease_s=self.lease_s,
                policy=self.policy,
                hook=self.hook,
                winners=self.winners,
            )
        return work

    def run_until_idle(self, max_ticks: int = 10_000) -> int:
        """Tick until a tick does nothing; return the total work (tests, tools)."""
        total = 0
        for _ in range(max_ticks):
            n = self.tick()
            total += n
            if n == 0:
                break
        return total


def _reads_events(spec: JourneySpec, entries: bool) -> bool:
    """Whether the version consumes events (entries, a goal, a wait-for-event)."""
    return (
        (entries and spec.trigger.kind in ("event", "lifecycle"))
        or spec.goal is not None
        or any(isinstance(n, WaitForEventNode) for n in spec.nodes)
    )
