"""Approval requests and their single decision, with the audit trail.

A decision is recorded exactly once: a conditional ``UPDATE ... WHERE status = 'pending'``;
whoever comes second gets :class:`~userops.errors.Conflict` carrying the winning decision
(unless it is the same decision replayed with the same ``client_decision_id``, a key that is
unique within one approval only). Comments (``respond``) are audited and leave the request
pending.
Who may decide is one rule for every route, in :mod:`userops.approvals.rules`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select, update

from userops.approvals.rules import check_actor, check_kind
from userops.errors import Conflict, NotFound, NotRecorded
from userops.store.audit import audit as audit  # re-exported for the routes
from userops.store.models import Approval, utcnow

STATUS_BY_DECISION = {"approve": "approved", "edit": "edited", "reject": "rejected"}


@dataclass(frozen=True)
class ApprovalRecord:
    """One approval request as stored."""

    id: str
    campaign_id: str
    thread_id: str | None
    revision: int
    status: str
    risk_tier: str
    card: dict[str, Any]
    requested_by: str | None
    decided_by: str | None
    decision: dict[str, Any] | None
    comment: str | None
    client_decision_id: str | None
    created_at: datetime | None
    decided_at: datetime | None
    edited_by: str | None = None
    """Who last changed this revision's plan (an approver's edit); may never approve it."""

    def to_dict(self, *, with_card: bool = True) -> dict[str, Any]:
        """Return a JSON-ready dict (the card only when ``with_card``)."""
        d = asdict(self)
        if not with_card:
            d.pop("card")
        return d

    def json_dict(self) -> dict[str, Any]:
        """Return the record without its card, times as ISO strings (a 409's ``current``)."""
        d = self.to_dict(with_card=False)
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in d.items()}

    def already_decided(self) -> Conflict:
        """The :class:`Conflict` for deciding this record again (``current`` is JSON-ready)."""
        return Conflict(
            f"approval {self.id} was already {self.status} by {self.decided_by}",
            current=self.json_dict(),
        )


def _row(conn: Connection, approval_id: str) -> ApprovalRecord | None:
    t = cast(Table, Approval.__table__)
    r = conn.execute(select(t).where(t.c.id == approval_id)).mappings().first()
    return None if r is None else ApprovalRecord(**dict(r))


def get(engine: Engine, approval_id: str) -> ApprovalRecord:
    """Return the approval ``approval_id``. Raises NotFound when there is none."""
    with engine.connect() as conn:
        rec = _row(conn, approval_id)
    if rec is None:
        raise NotFound(f"no approval {approval_id!r}")
    return rec


def list_approvals(
    engine: Engine, *, status: str | None = None, campaign_id: str | None = None
) -> list[ApprovalRecord]:
    """Return approvals, newest first, optionally filtered by status or campaign."""
    t = cast(Table, Approval.__table__)
    q = select(t).order_by(t.c.created_at.desc(), t.c.id.desc())
    if status:
        q = q.where(t.c.status == status)
    if campaign_id:
        q = q.where(t.c.campaign_id == campaign_id)
    with engine.connect() as conn:
        return [ApprovalRecord(**dict(r)) for r in conn.execute(q).mappings()]


def create_request(
    engine: Engine,
    *,
    approval_id: str,
    campaign_id: str,
    thread_id: str | None,
    revision: int,
    card: dict[str, Any],
    risk_tier: str,
    requested_by: str | None,
    edited_by: str | None = None,
) -> ApprovalRecord:
    """Insert a pending approval request (idempotent: an existing id is returned as is).

    ``edited_by`` is whoever last edited the plan of this revision (None: the planner's).
    """
    t = cast(Table, Approval.__table__)
    with engine.begin() as conn:
        existing = _row(conn, approval_id)
        if existing is not None:
            return existing
        conn.execute(
            insert(t).values(
                id=approval_id,
                campaign_id=campaign_id,
                thread_id=thread_id,
                revision=revision,
                status="pending",
                risk_tier=risk_tier,
                card=card,
                requested_by=requested_by,
                edited_by=edited_by,
                created_at=utcnow(),
            )
        )
        detail = {"campaign_id": campaign_id, "revision": revision, "risk_tier": risk_tier}
        if edited_by:
            detail["edited_by"] = edited_by
        audit(conn, requested_by or "system", "proposal", "approval", approval_id, detail)
        rec = _row(conn, approval_id)
    if rec is None:
        raise NotRecorded(f"approval {approval_id} was not stored")
    return rec


def decide(
    engine: Engine,
    approval_id: str,
    decision: dict[str, Any],
    *,
    actor: str,
    client_decision_id: str | None = None,
    allow_self_approval: bool = False,
    system: bool = False,
) -> ApprovalRecord:
    """Record ``decision`` on a pending approval exactly once and audit it.

    Args:
        engine: The store.
        approval_id: Approval request id.
        decision: LangChain HITL decision: ``{"type": "approve"}``, ``{"type": "reject",
            "message": ...}``, ``{"type": "edit", "edited_action": {...}}`` or
            ``{"type": "respond", "message": ...}`` (a comment; stays pending).
        actor: Who decides.
        client_decision_id: Idempotency key of this decision (a replay returns the record).
        allow_self_approval: Policy switch letting the requester approve (never the editor).
        system: The policy itself decides (risk-tiered auto-approval): no role check.

    Raises:
        NotFound: no such approval.
        Conflict: it was already decided (``current`` is the winning record).
        PolicyRefused: role, own-edit or self-approval rule.
    """
    rec = get(engine, approval_id)
    kind = str(decision.get("type", ""))
    if client_decision_id and rec.client_decision_id == client_decision_id:
        return rec
    if not system:
        check_actor(engine, rec, kind, actor, allow_self_approval=allow_self_approval)
    else:
        check_kind(kind)
    message = decision.get("message")
    t = cast(Table, Approval.__table__)
    pending = (t.c.id == approval_id, t.c.status == "pending")
    with engine.begin() as conn:
        if kind == "respond":
            res = conn.execute(update(t).where(*pending).values(comment=message))
            if res.rowcount != 1:
                raise _decided(conn, approval_id)
            audit(conn, actor, "comment", "approval", approval_id, {"message": message})
        else:
            res = conn.execute(
                update(t)
                .where(*pending)
                .values(
                    status=STATUS_BY_DECISION[kind],
                    decided_by=actor,
                    decision=decision,
                    comment=message,
                    client_decision_id=client_decision_id,
                    decided_at=utcnow(),
                )
            )
            if res.rowcount != 1:
                raise _decided(conn, approval_id)
            audit(
                conn,
                actor,
                f"decision.{STATUS_BY_DECISION[kind]}",
                "approval",
                approval_id,
                {"campaign_id": rec.campaign_id, "revision": rec.revision, "decision": decision},
            )
    return get(engine, approval_id)


def _decided(conn: Connection, approval_id: str) -> Conflict:
    current = _row(conn, approval_id)
    if current is not None:
        return current.already_decided()
    return Conflict(f"approval {approval_id} is gone")


def is_approved(engine: Engine, approval_id: str) -> bool:
    """Whether an approve decision is recorded for ``approval_id``."""
    t = cast(Table, Approval.__table__)
    with engine.connect() as conn:
        status = conn.execute(select(t.c.status).where(t.c.id == approval_id)).scalar()
    return status == "approved"


def record_refusal(
    engine: Engine, approval_id: str, *, actor: str, decision: dict[str, Any], reason: str
) -> None:
    """Audit a decision that was refused (role, self-approval, invalid edit)."""
    with engine.begin() as conn:
        audit(
            conn,
            actor,
            "decision.refused",
            "approval",
            approval_id,
            {"decision": decision, "reason": reason},
        )
