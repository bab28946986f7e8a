"""The outbox worker: claim due rows, gate them again, send, record — exactly once.

One pass (:meth:`Worker.process_batch`): claim up to ``batch_size`` due rows under a lease;
decide each again (:func:`userops.dispatch.gate.gate`); take tokens from the channel's
bucket; hand the rest to the adapter. A *transactional* adapter (the sandbox) records its
deliveries in the same transaction that marks the rows ``sent``; any other adapter gets the
idempotency key as the provider's dedupe id, transient failures are retried with tenacity
(exponential backoff with jitter, honouring ``retry_after``), then re-queued with a backoff,
then dead-lettered after ``retry.max_attempts``; permanent failures are ``failed`` (and an
address the provider says is gone is cleared from the user: :mod:`.feedback.results`). A
provider that is down is held off by a per-channel circuit breaker (:mod:`.breaker`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text

from userops.dispatch.adapters.base import ChannelAdapter, OutgoingMessage
from userops.dispatch.breaker import CircuitBreaker, expire
from userops.dispatch.feedback.results import clear_gone
from userops.dispatch.gate import GateOutcome, gate
from userops.dispatch.outbox import Claimed, claim, mark_sent, transition
from userops.dispatch.policy import Policy
from userops.dispatch.ratelimit import TokenBucket
from userops.dispatch.retry import send_with_retry
from userops.dispatch.sql import relaxed_gc
from userops.dispatch.store_backoff import StoreBackoff
from userops.store.write_turn import write_turn


class Worker:
    """Processes the outbox with the given adapters (default: the sandbox on every channel)."""

    def __init__(
        self,
        engine: Engine,
        adapters: dict[str, ChannelAdapter] | None = None,
        *,
        policy: Policy | None = None,
        channels: list[str] | None = None,
        batch_size: int | None = None,
        clock: Callable[[], float] = time.time,
        progress: Callable[[Counter[str]], None] | None = None,
        fallbacks: bool = True,
        campaigns: list[str] | None = None,
        tick: Callable[[], int] | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy or Policy.load()
        if adapters is None:
            from userops.dispatch.sandbox import sandbox_adapters

            adapters = dict(sandbox_adapters(engine, costs=self.policy.costs))
        self.adapters = {c: a for c, a in adapters.items() if not channels or c in channels}
        self.batch_size = batch_size or self.policy.batch_size
        self.clock = clock
        self.progress = progress
        self.fallbacks = fallbacks
        self.campaigns = campaigns
        """Only these campaigns' rows (a simulation's); None: every campaign."""
        self.tick = tick
        """More work before each batch (the journeys' runner); returns the work it did."""
        self.reclaim_own = False
        """A batch failed in the store: take back our own leased rows at the next claim."""
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.buckets = {
            c: TokenBucket(a.capabilities.rate_per_second, a.capabilities.burst)
            for c, a in self.adapters.items()
        }
        self.breakers = {c: CircuitBreaker.from_policy(self.policy.retry) for c in self.adapters}
        self.stats: Counter[str] = Counter()

    def run(
        self,
        *,
        stop_when_idle: bool = True,
        max_batches: int | None = None,
        idle_sleep: float = 0.5,
        stop: threading.Event | None = None,
        store_retries: int | None = 0,
    ) -> Counter[str]:
        """Process batches until idle (or ``stop`` is set / ``max_batches``); return counts.

        ``store_retries``: store failures in a row to ride out (:mod:`.store_backoff`);
        None: any number (a long-running worker resumes once the condition is gone).
        """
        with relaxed_gc():
            return asyncio.run(
                self.arun(
                    stop_when_idle=stop_when_idle,
                    max_batches=max_batches,
                    idle_sleep=idle_sleep,
                    stop=stop,
                    store_retries=store_retries,
                )
            )

    async def arun(
        self,
        *,
        stop_when_idle: bool = True,
        max_batches: int | None = None,
        idle_sleep: float = 0.5,
        stop: threading.Event | None = None,
        store_retries: int | None = 0,
    ) -> Counter[str]:
        """Async body of :meth:`run`."""
        batches = 0
        backoff = StoreBackoff(store_retries, idle_sleep)
        while not (stop and stop.is_set()) and (max_batches is None or batches < max_batches):
            try:
                ticked = await asyncio.to_thread(self.tick) if self.tick is not None else 0
                n = await self.process_batch()
                fall = self.fallbacks and n == 0
                spawned = await asyncio.to_thread(self.spawn_fallbacks) if fall else 0
            except Exception as exc:
                await backoff.failed(exc, self.stats)  # raises unless it may pass
                self.reclaim_own = True  # the failed batch's rows are still leased to us
                continue
            backoff.succeeded()
            batches += 1
            if n == 0:
                if spawned or ticked:
                    continue
                if stop_when_idle:
                    break
                await asyncio.sleep(idle_sleep)
        return self.stats

    async def aclose(self) -> None:
        """Release the adapters' connections."""
        for adapter in self.adapters.values():
            await adapter.aclose()

    def spawn_fallbacks(self) -> int:
        """Queue the fallback messages that are due (see :mod:`userops.dispatch.fallback`)."""
        from userops.dispatch.fallback import spawn_fallbacks

        n = spawn_fallbacks(
            self.engine, now_ts=int(self.clock()), policy=self.policy, campaigns=self.campaigns
        )
        self.stats["fallbacks"] += n
        return n

    async def process_batch(self) -> int:
        """Claim, gate, send and record one batch; return the number of rows claimed.

        Store work runs in a worker thread (``asyncio.to_thread``), never on the event loop:
        the loop sends to the providers meanwhile, and a server that forbids blocking calls
        on its loop (``langgraph dev``) runs the dispatch node too.
        """
        now = int(self.clock())
        rows = await asyncio.to_thread(self._claim, now)
        self.reclaim_own = False
        if not rows:
            return 0
        self.stats["claimed"] += len(rows)
        outcome = await asyncio.to_thread(self._gate, rows, now)
        by_channel: dict[str, list[tuple[Claimed, OutgoingMessage]]] = {}
        for item in outcome.send:
            by_channel.setdefault(item[0].channel, []).append(item)
        moves = outcome.moves
        for channel, items in by_channel.items():
            failed = await self._send_channel(channel, items, now)
            if failed:
                moves += await asyncio.to_thread(expire, self.engine, failed, self.policy.retry)
        self._count_moves(moves)
        if moves:
            await asyncio.to_thread(self._transition, moves)
        if self.progress:
            self.progress(self.stats)
        return len(rows)

    def _claim(self, now: int) -> list[Claimed]:
        with write_turn(self.engine), self.engine.begin() as conn:
            return claim(
                conn,
                owner=self.owner,
                now=now,
                lease_s=self.policy.lease_seconds,
                limit=self.batch_size,
                channels=sorted(self.adapters),
                campaigns=self.campaigns,
                reclaim_own=self.reclaim_own,
            )

    def _gate(self, rows: list[Claimed], now: int) -> GateOutcome:
        with self.engine.connect() as conn:
            return gate(conn, rows, self.policy, now)

    def _transition(self, moves: list[dict[str, Any]]) -> None:
        with write_turn(self.engine), self.engine.begin() as conn:
            transition(conn, moves, owner=self.owner)

    async def _send_channel(
        self, channel: str, items: list[tuple[Claimed, OutgoingMessage]], now: int
    ) -> list[dict[str, Any]]:
        adapter = self.adapters[channel]
        step = max(1, adapter.capabilities.max_batch)
        breaker = self.breakers[channel]
        moves: list[dict[str, Any]] = []
        i = 0
        while i < len(items):
            n = breaker.admit(now, step)  # 0 while the provider is held off, 1 to probe
            if n == 0:
                moves += breaker.hold([r for r, _ in items[i:]], now)
                break
            part, i = items[i : i + n], i + n
            await self.buckets[channel].acquire(len(part))
            if getattr(adapter, "transactional", False):
                await asyncio.to_thread(self._record_in_tx, adapter, part, now)
                continue
            results, tries, wait = await send_with_retry(adapter, [m for _, m in part], self.policy)
            if wait:
                self.buckets[channel].penalize(wait)
            accepted = any(r.ok for r in results.values())
            errors = [r.error for r in results.values() if not r.ok and r.transient]
            breaker.record(accepted or not errors, now, (errors or [""])[0] or "")
            ok: dict[int, str] = {}
            gone = []
            for row, msg in part:
                res = results.get(msg.idempotency_key)
                if res is not None and res.ok:
                    ok[row.id] = res.provider_message_id or ""
                else:
                    moves.append(self._failure(row, res, tries.get(msg.idempotency_key, 1), now))
                    if res is not None and res.gone:
                        gone.append((msg, res))
            await asyncio.to_thread(self._finish_sent, part, ok, now)
            if (
                gone
                and (cleared := await asyncio.to_thread(clear_gone, self.engine, channel, gone))
                is not None
            ):
                self.stats["contacts_invalidated"] += cleared.contacts_invalidated
        return moves

    def _record_in_tx(
        self, adapter: Any, part: list[tuple[Claimed, OutgoingMessage]], now: int
    ) -> None:
        with write_turn(self.engine), self.engine.begin() as conn:
            done = set(
                mark_sent(conn, [r.id for r, _ in part], owner=self.owner, now=now, provider_ids={})
            )
            msgs = [m for r, m in part if r.id in done]
            if msgs:
                adapter.record(conn, msgs, now)
            self._add_spend(conn, [r for r, _ in part if r.id in done])
        self.stats["sent"] += len(done)
        self.stats["lost_lease"] += len(part) - len(done)

    def _finish_sent(
        self, part: list[tuple[Claimed, OutgoingMessage]], ok: dict[int, str], now: int
    ) -> None:
        if not ok:
            return
        with write_turn(self.engine), self.engine.begin() as conn:
            pids = {i: p for i, p in ok.items() if p}
            done = set(mark_sent(conn, list(ok), owner=self.owner, now=now, provider_ids=pids))
            self._add_spend(conn, [r for r, _ in part if r.id in done])
        self.stats["sent"] += len(done)

    def _add_spend(self, conn: Any, rows: list[Claimed]) -> None:
        spend: dict[str, float] = {}
        for r in rows:
            spend[r.campaign_id] = spend.get(r.campaign_id, 0.0) + r.cost
        params = [{"s": s, "c": c} for c, s in spend.items() if s]
        if params:
            conn.execute(text("UPDATE campaigns SET spent = spent + :s WHERE id = :c"), params)

    def _failure(self, row: Claimed, res: Any, tries: int, now: int) -> dict[str, Any]:
        error = (res.error if res is not None else None) or "no result"
        if res is not None and not res.transient:
            return {
                "id": row.id,
                "state": "failed",
                "nbt": now,
                "reason": error[:64],
                "tries": tries,
            }
        retry = self.policy.retry
        outage = self.breakers[row.channel].is_open  # the provider's fault: the deadline rules
        if row.attempts + tries >= retry.max_attempts and not outage:
            return {"id": row.id, "state": "dead", "nbt": now, "reason": error[:64], "tries": tries}
        backoff = min(retry.max_seconds, retry.initial_seconds * 2 ** (row.attempts + tries))
        return {
            "id": row.id,
            "state": "deferred",
            "nbt": now + int(backoff) + 1,
            "reason": f"retry: {error}"[:64],
            "tries": tries,
        }

    def _count_moves(self, moves: list[dict[str, Any]]) -> None:
        for m in moves:
            self.stats[m["state"]] += 1
