"""Approver inbox: list with filters, read the card, decide once (idempotent per client id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Table, select

from userops import approvals
from userops.api.deps import AnyUser, Approver, EngineDep, RuntimeDep, ServicesDep
from userops.api.loop import decide, jsonable, progress_event, thread_view
from userops.errors import BadInput
from userops.store.models import Approval

router = APIRouter(prefix="/v1/approvals", tags=["approvals"])
Status = Literal["pending", "approved", "rejected", "edited"]


class DecisionIn(BaseModel):
    """An approver's decision on one approval card."""

    decision: Literal["approve", "reject", "edit", "respond"]
    """``approve``, ``reject``, ``edit`` (with ``edited_plan``) or ``respond`` (a comment)."""
    comment: str | None = Field(default=None, max_length=4000)
    """Why (required for reject and respond)."""
    edited_plan: dict[str, Any] | None = None
    """The whole edited campaign plan (required for edit)."""
    client_decision_id: str | None = Field(default=None, min_length=1, max_length=64)
    """Idempotency key: the same id replayed returns the recorded decision."""


def hitl_decision(body: DecisionIn) -> dict[str, Any]:
    """Turn the request into a LangChain HITL decision, naming a missing field (422)."""
    if body.decision in ("reject", "respond") and not (body.comment or "").strip():
        raise BadInput.one(f"required for {body.decision}", field="comment", value=body.comment)
    if body.decision == "edit":
        if body.edited_plan is None:
            raise BadInput.one("required for edit", field="edited_plan", value=None)
        from pydantic import ValidationError

        from agents.schema import CampaignPlan

        try:
            CampaignPlan.model_validate(body.edited_plan)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise BadInput.one(
                err["msg"], field=f"edited_plan.{where}", value=err.get("input")
            ) from None
        return {
            "type": "edit",
            "edited_action": {"name": "dispatch_campaign_step", "args": {"plan": body.edited_plan}},
            "message": body.comment,
        }
    out: dict[str, Any] = {"type": body.decision}
    if body.comment:
        out["message"] = body.comment
    return out


@router.get("")
def list_approvals(
    _user: AnyUser,
    engine: EngineDep,
    status: Status | None = None,
    campaign_id: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> list[dict[str, Any]]:
    """List approval requests, newest first, filtered by status and campaign."""
    t = cast(Table, Approval.__table__)
    q = select(*(c for c in t.c if c.name != "card"))
    if status:
        q = q.where(t.c.status == status)
    if campaign_id:
        q = q.where(t.c.campaign_id == campaign_id)
    q = q.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [{k: _plain(v) for k, v in r.items()} for r in rows]


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


@router.get("/{approval_id}")
def get_approval(approval_id: str, _user: AnyUser, engine: EngineDep) -> dict[str, Any]:
    """Read one approval with its card (plan, pre-flight, previews, findings, risk)."""
    return jsonable(approvals.get(engine, approval_id).to_dict())  # type: ignore[no-any-return]


@router.post("/{approval_id}/decision")
def post_decision(
    approval_id: str, body: DecisionIn, user: Approver, rt: RuntimeDep, services: ServicesDep
) -> dict[str, Any]:
    """Decide once: 409 with the winning decision when someone else got there first."""
    decision = hitl_decision(body)
    hub = services.hub
    tid = approvals.get(services.engine, approval_id).thread_id or ""

    def on_update(node: str, update: dict[str, Any]) -> None:
        hub.publish(tid, "progress", progress_event(node, update))

    rec, replayed = decide(
        rt,
        approval_id,
        decision,
        actor=user.name,
        client_decision_id=body.client_decision_id,
        on_update=on_update,
    )
    out: dict[str, Any] = jsonable(rec.to_dict(with_card=False))
    out["replayed"] = replayed
    if rec.thread_id:
        view = thread_view(rt.get(rec.thread_id))
        out["thread_status"] = view["status"]
        if not replayed:
            hub.publish(rec.thread_id, "state", view)
    return out
