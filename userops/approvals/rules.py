"""Who may decide an approval: one rule for the store, the runtime, every API route and the CLI.

* Only approvers and admins decide, and a comment (``respond``) is a decision too: it sets
  the approval's comment (:func:`check_role`, called by ``/v1`` and the LangGraph-compatible
  resume before anything is looked up, and by :func:`check_actor`).
* Whoever last changed the plan of a revision (an approver's edit, ``edited_by``) never
  approves it, whatever the policy says.
* The requester approves their own campaign only where the policy allows self-approval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from userops.accounts import APPROVER_ROLES, find_user, has_accounts
from userops.errors import BadInput, PolicyRefused

if TYPE_CHECKING:
    from userops.approvals.records import ApprovalRecord

DECISION_TYPES = ("approve", "edit", "reject", "respond")


def check_kind(kind: str) -> None:
    """Refuse an unknown decision type (:class:`BadInput` naming ``decision.type``)."""
    if kind not in DECISION_TYPES:
        raise BadInput.one(
            f"must be one of {', '.join(DECISION_TYPES)}", field="decision.type", value=kind
        )


def check_role(role: str, kind: str) -> None:
    """The one role rule of every decision route: approvers and admins decide and comment.

    A comment (``respond``) is a decision too: it sets the approval's comment, so an
    operator may not write it, through ``/v1`` or through the LangGraph-compatible resume.

    Raises:
        PolicyRefused: ``role`` may not take a decision of ``kind``.
    """
    if role not in APPROVER_ROLES:
        verb = "commenting on" if kind == "respond" else "deciding"
        raise PolicyRefused(
            f"role {role} may not do this; {verb} an approval needs approver or admin",
            reason="role",
        )


def check_actor(
    engine: Engine, rec: ApprovalRecord, kind: str, actor: str, *, allow_self_approval: bool
) -> None:
    """Refuse ``actor`` deciding ``rec`` with ``kind`` (role, own edit, self-approval).

    Raises:
        BadInput: unknown decision type.
        PolicyRefused: the actor may not take this decision.
    """
    check_kind(kind)
    if kind == "approve" and rec.edited_by is not None and actor == rec.edited_by:
        raise PolicyRefused(
            f"{actor} edited revision {rec.revision} of campaign {rec.campaign_id} and may "
            "not approve it: another approver must",
            reason="own_edit",
        )
    if kind == "approve" and not allow_self_approval and actor == rec.requested_by:
        raise PolicyRefused(
            f"{actor} requested campaign {rec.campaign_id} and may not approve it "
            "(self-approval is off in the policy)",
            reason="self_approval",
        )
    if has_accounts(engine):
        acct = find_user(engine, actor)
        if acct is None:
            raise PolicyRefused(f"unknown or disabled user {actor!r}", reason="unknown_user")
        check_role(acct.role, kind)
