"""Journeys designed by the agent: ``POST /v1/journeys/propose``.

An operator (or admin) states a goal; the planner and the evaluator run and the journey's
version 1 is stored awaiting approval (nothing is sent). The answer is
``{"journey_id", "version", "approval_id", "status", "findings", ...}``
(:func:`agents.planning.journey.propose.propose_journey`); a question or a refusal stores
nothing and says so in ``status``. Approving stays ``userops journeys approve``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from userops.api.deps import Operator, ServicesDep
from userops.api.loop import jsonable

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])


class ProposeBody(BaseModel):
    """The operator's goal."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not ignored

    goal: str = Field(min_length=1, max_length=2000, examples=["注册后1天推送上手教程，下单即退出"])
    """The goal in the operator's words (zh or en)."""


@router.post("/propose")
def propose(body: ProposeBody, user: Operator, services: ServicesDep) -> dict[str, Any]:
    """Design a journey for the goal and store it awaiting approval."""
    from agents.planning.journey.wiring import propose as propose_journey
    from userops.dispatch.policy import Policy

    path = services.policy_path
    policy = Policy.load(path) if path.is_file() else None
    res = propose_journey(
        services.engine, body.goal, actor=user.name, settings=services.settings, policy=policy
    )
    return jsonable(res)  # type: ignore[no-any-return]
