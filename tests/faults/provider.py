"""Provider faults for the fault table: the real worker + Aliyun SMS adapter + local fake."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.dispatch.adapters.pipeline import DAY_TS, FAST, drain
from tests.dispatch.adapters.test_provider_down import DOWN_503, DOWN_REFUSED, POLICY
from tests.dispatch.factory import add_users, sms, step
from tests.fakes.aliyun import FakeAliyunSms
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.engine import enqueue
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.worker import Worker

KINDS = {"5xx": "5xx", "timeout": "slow", "429": "429"}


def _engine(d: Path, name: str) -> Engine:
    from userops.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{d / name}.db")
    upgrade(engine)
    return engine


def _settle(engine: Engine, fake: FakeAliyunSms, step_id: str, users: list[int]) -> dict[str, Any]:
    with engine.connect() as conn:
        q = text("SELECT user_id, state, reason FROM outbox WHERE step_id = :s")
        state = {r[0]: (r[1], r[2] or "") for r in conn.execute(q, {"s": step_id})}
    delivered = fake.counts()
    keys = {u: dedupe_id(idempotency_key("c1", step_id, u, "sms")) for u in users}
    out: Counter[str] = Counter()
    for u in users:
        s, reason = state[u]
        if s == "sent":
            out["delivered"] += 1
        elif s == "dead":
            out["dead-lettered: " + reason.split(":")[0]] += 1
        else:
            out[s] += 1
    return {
        "messages": len(users),
        "outcome": dict(out),
        "duplicates": sum(max(0, delivered.get(keys[u], 0) - 1) for u in users),
        "lost": sum(1 for u in users if state[u][0] == "sent" and not delivered.get(keys[u])),
    }


def _one_kind(d: Path, mode: str, n: int) -> dict[str, Any]:
    engine = _engine(d, f"p-{mode}")
    fake = FakeAliyunSms().start()
    try:
        users = add_users(engine, n, consent=("sms",))
        enqueue(
            engine, step(users, step_id="s1", contents={"v1": sms()}), policy=FAST, now_ts=DAY_TS
        )
        for u in users:  # every message meets the fault once
            fake.faults.add(dedupe_id(idempotency_key("c1", "s1", u, "sms")), mode)
        drain(engine, {"sms": fake.adapter()})
        return {"injected": fake.modes[mode], **_settle(engine, fake, "s1", users)}
    finally:
        fake.stop()
        engine.dispose()


def _partial_batch(d: Path, n: int) -> dict[str, Any]:
    engine = _engine(d, "p-partial")
    fake = FakeAliyunSms().start()
    try:
        users = add_users(engine, 2 * n, consent=("sms",))
        enqueue(
            engine, step(users, step_id="s1", contents={"v1": sms()}), policy=FAST, now_ts=DAY_TS
        )
        for u in users[::2]:  # half of each batch fails, the other half is accepted
            fake.faults.add(dedupe_id(idempotency_key("c1", "s1", u, "sms")), "5xx")
        drain(engine, {"sms": fake.adapter(max_batch=10)}, batch_size=10)
        return {"injected": fake.modes["5xx"], **_settle(engine, fake, "s1", users)}
    finally:
        fake.stop()
        engine.dispose()


def _down(d: Path, n: int) -> dict[str, Any]:
    """Down 10 minutes (503, then refused); half the messages are past their deadline."""
    engine = _engine(d, "p-down")
    fake = FakeAliyunSms().start()
    try:
        old = add_users(engine, n, start=1, consent=("sms",))
        new = add_users(engine, n, start=n + 1, consent=("sms",))
        content = {"v1": sms()}
        enqueue(
            engine, step(old, step_id="s0", contents=content), policy=POLICY, now_ts=DAY_TS - 600
        )
        enqueue(engine, step(new, step_id="s1", contents=content), policy=POLICY, now_ts=DAY_TS)
        clock = [DAY_TS]
        worker = Worker(engine, {"sms": fake.adapter()}, policy=POLICY, clock=lambda: clock[0])
        fake.faults.down = "5xx"
        while clock[0] - DAY_TS < 1200:
            if clock[0] - DAY_TS == DOWN_503:
                fake.stop()
            if clock[0] - DAY_TS == DOWN_REFUSED:
                fake.faults.down = None
                fake.start()
            worker.run()
            clock[0] += 10
        a, b = _settle(engine, fake, "s0", old), _settle(engine, fake, "s1", new)
        outcome = Counter(a["outcome"]) + Counter(b["outcome"])
        return {
            "injected": fake.modes["5xx"],
            "messages": 2 * n,
            "outcome": dict(outcome),
            "duplicates": a["duplicates"] + b["duplicates"],
            "lost": a["lost"] + b["lost"],
            "breaker_opened": worker.breakers["sms"].opened,
            "note": f"{n} queued 10 min before the outage with a 15 min deadline",
        }
    finally:
        fake.stop()
        engine.dispose()


def run(n: int) -> list[dict[str, Any]]:
    """Each provider fault over ``n`` messages (the partial batch over ``2n``)."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, mode in KINDS.items():
            rows.append({"fault": f"provider: {name}", **_one_kind(d, mode, n)})
        rows.append({"fault": "provider: partial batch", **_partial_batch(d, n)})
        rows.append({"fault": "provider: down for minutes", **_down(d, n)})
    return rows
