"""Dispatch policy: everyone reads it; admins edit it (validated, audited with the diff)."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Body

from userops.api.deps import Admin, AnyUser, ServicesDep
from userops.approvals.records import audit

router = APIRouter(prefix="/v1/policy", tags=["policy"])


def _current(services: ServicesDep) -> dict[str, Any]:
    from userops.dispatch.policy import Policy

    path = services.policy_path
    policy = Policy.load(path) if path.exists() else Policy.load()
    return policy.model_dump(mode="json", by_alias=True)


@router.get("")
def read_policy(_user: AnyUser, services: ServicesDep) -> dict[str, Any]:
    """The policy in force (quiet hours, caps, costs, self-approval, auto-approval)."""
    return _current(services)


@router.put("")
def edit_policy(
    user: Admin, services: ServicesDep, changes: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Replace top-level policy keys with ``changes`` (422 naming the field); write, audit."""
    from userops.dispatch.policy import Policy

    before = _current(services)
    merged = Policy.with_overrides({**before, **changes}, source="body")
    after = merged.model_dump(mode="json", by_alias=True)
    path = services.policy_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(after, allow_unicode=True, sort_keys=False), encoding="utf-8")
    diff = {
        k: {"before": before.get(k), "after": v} for k, v in after.items() if before.get(k) != v
    }
    with services.engine.begin() as conn:
        audit(conn, user.name, "policy.edit", "policy", str(path.name), diff)
    return after
