"""Chaos harness, part 1: database, population, accounts, approvals, and the final checks.

A fresh PostgreSQL database of its own; the checks read the outcome back from it (see
:mod:`scripts.chaos`).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text

from userops.accounts import add_user
from userops.approvals import records as approvals
from userops.dispatch.models import DispatchStep, MessageContent
from userops.store.engine import make_engine, upgrade
from userops.store.models import Campaign

PG_ADMIN_URL = os.environ.get(
    "USEROPS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CAMPAIGN = "chaos"
MAIN_APPROVAL = "chaos-main"
OPERATOR = "olivia"
APPROVERS = ("ana", "bob", "cai", "dan", "eve", "fay")
POLICY_YAML = "quiet_hours: null\nlease_seconds: {lease}\nbatch_size: {batch}\n"
BODY = "【优选】{name}，新教程已上线，点击查看，回T退订"


def create_database(admin_url: str = PG_ADMIN_URL) -> str:
    """Create an empty database of our own next to ``admin_url``; return its URL."""
    name = f"userops_chaos_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Drop the database at ``url`` (created by :func:`create_database`)."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, n: int) -> Engine:
    """Migrate the store and load ``n`` users with SMS consent (COPY: seconds for 200k)."""
    engine = make_engine(url)
    upgrade(engine)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(  # type: ignore[attr-defined]
            "COPY users (id, external_id, name, phone, timezone, language, created_ts,"
            " do_not_contact) FROM STDIN"
        ) as cp:
            for i in range(1, n + 1):
                cp.write_row(
                    (i, f"u{i}", f"用户{i}", f"+86138{i:08d}", "Asia/Shanghai", "zh", 0, False)
                )
        with cur.copy("COPY consents (user_id, channel, status, source, ts) FROM STDIN") as cp:  # type: ignore[attr-defined]
            for i in range(1, n + 1):
                cp.write_row((i, "sms", "granted", "chaos", 1))
        raw.commit()
        cur.execute("ANALYZE users; ANALYZE consents")
        raw.commit()
    finally:
        raw.close()
    return engine


def accounts(engine: Engine) -> dict[str, str]:
    """One operator and several approvers; return their bearer tokens by name."""
    tokens = {OPERATOR: add_user(engine, OPERATOR, "operator")[1]}
    for name in APPROVERS:
        tokens[name] = add_user(engine, name, "approver")[1]
    return tokens


def campaign_step(n: int) -> DispatchStep:
    """The campaign's one SMS step to users ``1..n``."""
    content = MessageContent(variant_id="v1", channel="sms", content_type="tutorial", body=BODY)
    return DispatchStep(
        campaign_id=CAMPAIGN,
        contents={"v1": content},
        assignments=[(i, "sms", "v1") for i in range(1, n + 1)],
    )


def contract(n: int) -> dict[str, Any]:
    """What the approval permits (the card is a contract): ``n`` SMS of the one step."""
    step = campaign_step(1).step_id
    bound = {"channel": "sms", "max_messages": n, "max_cost": float(n)}
    return {"steps": [{"step_id": step, "bounds": [bound]}]}


def approval_requests(engine: Engine, n: int, side: int) -> list[str]:
    """The campaign row, its main approval request and ``side`` more to contest under kills."""
    with engine.begin() as conn:
        conn.execute(
            insert(Campaign).values(id=CAMPAIGN, name=CAMPAIGN, status="awaiting_approval")
        )
    ids = [MAIN_APPROVAL, *(f"chaos-side-{i}" for i in range(side))]
    for rev, aid in enumerate(ids, start=1):
        approvals.create_request(
            engine,
            approval_id=aid,
            campaign_id=CAMPAIGN,
            thread_id=None,
            revision=rev,
            card={"recipients": n, "channel": "sms", "body": BODY, "contract": contract(n)},
            risk_tier="medium",
            requested_by=OPERATOR,
        )
    return ids


def write_policy(home: Path, *, lease: int, batch: int) -> Path:
    """The workers' policy: no quiet hours (the run must not depend on the clock)."""
    path = home / "policy.yaml"
    path.write_text(POLICY_YAML.format(lease=lease, batch=batch), encoding="utf-8")
    return path


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def delivered(engine: Engine) -> int:
    """Rows in the sandbox's deliveries table."""
    return int(_one(engine, "SELECT count(*) FROM deliveries"))


def waiting(engine: Engine) -> int:
    """Outbox rows not yet in a final state."""
    return int(
        _one(engine, "SELECT count(*) FROM outbox WHERE state IN ('pending','deferred','sending')")
    )


def verify(engine: Engine, n: int, approval_ids: list[str]) -> dict[str, Any]:
    """Read the outcome back from the database: deliveries, outbox, approvals and audit."""
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        dup = q(
            "SELECT count(*) FROM (SELECT idempotency_key FROM deliveries"
            " GROUP BY idempotency_key HAVING count(*) > 1) d"
        )
        extra = q(
            "SELECT coalesce(sum(c - 1), 0) FROM (SELECT count(*) c FROM deliveries"
            " GROUP BY idempotency_key) d"
        )
        keys = q("SELECT count(DISTINCT idempotency_key) FROM deliveries")
        outbox = q("SELECT count(*) FROM outbox")
        not_delivered = q(
            "SELECT count(*) FROM outbox o WHERE NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.idempotency_key = o.idempotency_key)"
        )
        states = dict(conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())
        decided = dict(
            conn.execute(
                text("SELECT id, status FROM approvals WHERE id = ANY(:ids)"), {"ids": approval_ids}
            ).all()
        )
        audits = dict(
            conn.execute(
                text(
                    "SELECT entity_id, count(*) FROM audit WHERE entity_type = 'approval'"
                    " AND action LIKE 'decision.%' GROUP BY entity_id"
                )
            ).all()
        )
    return {
        "recipients": n,
        "delivered": delivered(engine),
        "distinct_keys_delivered": int(keys),
        "duplicate_keys": int(dup),
        "duplicate_deliveries": int(extra),
        "outbox_rows": int(outbox),
        "lost": int(n - outbox + not_delivered),
        "outbox_states": {str(k): int(v) for k, v in states.items()},
        "approvals_pending": sorted(a for a in approval_ids if decided.get(a) == "pending"),
        "approval_decision_audits": {a: int(audits.get(a, 0)) for a in approval_ids},
    }
