"""Model faults for the fault table: the real runtime + LLM planner against the fake server."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.doubles import populate
from tests.fakes.openai_chat import FakeOpenAIChat
from userops.errors import ModelUnavailable

GOAL = "召回最近60天没下单的高价值用户，只发邮件"
KINDS = {
    "429 Retry-After": "429",
    "500": "500",
    "timeout": "slow",
    "malformed tool args": "bad_args",
    "truncated JSON (token limit)": "truncated",
    "truncated body": "cut_body",
    "empty answer": "empty",
}
PASSING = {"429": ["429", "429"], "500": ["500", "500"], "slow": ["slow"]}
"""Transport faults injected on the first request, as often as the SDK retries them."""


def _store(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        a = conn.execute(text("SELECT count(*) FROM approvals")).scalar_one()
        o = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    return int(a), int(o)


def _one(rt: Any, engine: Engine, fake: FakeOpenAIChat, mode: str, lasting: bool, i: int) -> str:
    """Run one thread with the fault; return its outcome."""
    thread = f"{mode}-{'lasting' if lasting else 'once'}-{i}"
    before = _store(engine)
    if lasting:
        fake.faults.down = mode
    else:  # the answer-level faults hit the plan request (second request)
        fake.faults.next.extend(PASSING.get(mode) or ["ok", mode])
    try:
        res = rt.start(GOAL, thread_id=thread)
    except ModelUnavailable:
        fake.faults.down = None
        fake.faults.next.clear()
        half = _store(engine)
        if half != before:
            return "half-made plan stored"
        again = rt.start(GOAL, thread_id=thread)
        ok = again.status == "awaiting_approval"
        return "failed cleanly & resumable" if ok else "failed, not resumable"
    finally:
        fake.faults.down = None
    if res.status != "awaiting_approval":
        return f"ended {res.status}"
    if "playbook used" in str(res.values.get("plan", {}).get("rationale", "")):
        return "recovered by fallback (playbook plan, shown as such)"
    return "recovered by retry"


def run(n: int) -> list[dict[str, Any]]:
    """Each model fault ``n`` times passing (once) and ``n`` times lasting."""
    from agents.runtime.threads import open_runtime
    from userops.store.engine import make_engine, upgrade

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as d:
        home = Path(d)
        engine = make_engine(f"sqlite:///{home / 'store.db'}")
        upgrade(engine)
        populate(engine, 60)
        fake = FakeOpenAIChat()
        fake.retry_after, fake.slow_seconds = 0, 1.5
        fake.start()
        s = fake.settings(home)
        try:
            with open_runtime(settings=s, engine=engine) as rt:
                for name, mode in KINDS.items():
                    for lasting in (False, True):
                        served = fake.modes[mode]
                        before = _store(engine)
                        outcomes = Counter(
                            _one(rt, engine, fake, mode, lasting, i) for i in range(n)
                        )
                        after = _store(engine)
                        rows.append(
                            {
                                "fault": f"model: {name}" + (" (lasting)" if lasting else ""),
                                "runs": n,
                                "injected": fake.modes[mode] - served,
                                "outcome": dict(outcomes),
                                "approvals": after[0] - before[0],
                                "sends_from_half_made_plans": after[1] - before[1],
                            }
                        )
        finally:
            fake.stop()
            engine.dispose()
    return rows
