"""Helpers of the card-contract tests: contents, approved cards, what the outbox holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select, text

from userops.approvals import records as approvals
from userops.approvals.card import Contract, build_contract
from userops.dispatch.models import DispatchStep, MessageContent, PreflightReport
from userops.store.models import Campaign

SMS = "【优选】{name}，新教程已上线，回T退订"
LONG_SMS = SMS + "，" + "这一期讲的是如何把收藏夹里的好物一次买齐，" * 6


def contents(sms_body: str = SMS) -> dict[str, MessageContent]:
    """One variant per channel (push, SMS, email), each valid under the content rules."""
    unsub = "{unsubscribe_url}"
    return {
        "p1": MessageContent(
            variant_id="p1", channel="app_push", title="新教程", body="{name}，来看看"
        ),
        "v1": MessageContent(variant_id="v1", channel="sms", body=sms_body),
        "e1": MessageContent(
            variant_id="e1",
            channel="email",
            subject="新教程",
            body=f"{{name}}，来看看 {unsub}",
            html=f"<p>{{name}}，来看看 <a href='{unsub}'>退订</a></p>",
        ),
    }


def approve_card(
    engine: Engine,
    campaign_id: str,
    parts: list[tuple[DispatchStep, PreflightReport]] | None = None,
    *,
    contract: dict[str, Any] | None = None,
    followup: bool = False,
    index: int = 0,
    decide: bool = True,
) -> Contract | None:
    """Record an approval of ``parts``' contract (or of ``contract`` as given) for a campaign."""
    built = build_contract(parts or [], followup=followup) if contract is None else None
    card = {"contract": built.model_dump(mode="json") if built else contract}
    with engine.begin() as conn:
        if conn.execute(select(Campaign.id).where(Campaign.id == campaign_id)).first() is None:
            conn.execute(insert(Campaign).values(id=campaign_id, name=campaign_id, status="draft"))
    aid = f"{campaign_id}-r0-s{index}"
    approvals.create_request(
        engine,
        approval_id=aid,
        campaign_id=campaign_id,
        thread_id=None,
        revision=0,
        card=card,
        risk_tier="low",
        requested_by="op",
    )
    if decide:
        approvals.decide(engine, aid, {"type": "approve"}, actor="policy", system=True)
    return built


def held(engine: Engine, campaign_id: str) -> dict[tuple[str, str], tuple[int, float]]:
    """Per (step, channel): outbox rows that are not suppressed, and their cost."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT step_id, channel, count(*), coalesce(sum(cost), 0) FROM outbox"
                " WHERE campaign_id = :c AND state != 'suppressed' GROUP BY step_id, channel"
            ),
            {"c": campaign_id},
        ).all()
    return {(str(s), str(ch)): (int(n), float(c)) for s, ch, n, c in rows}


def reasons(engine: Engine, campaign_id: str, step_id: str) -> dict[str, int]:
    """Suppressed rows of a step by reason."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT reason, count(*) FROM outbox WHERE campaign_id = :c AND step_id = :s"
                " AND state = 'suppressed' GROUP BY reason"
            ),
            {"c": campaign_id, "s": step_id},
        ).all()
    return {str(r): int(n) for r, n in rows}
