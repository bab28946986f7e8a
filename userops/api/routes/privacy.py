"""Data-subject requests (PIPL / GDPR): export or erase one person; admins only.

``GET /v1/privacy/users/{id}/export`` answers the export document (docs/privacy.md);
``POST /v1/privacy/users/{id}/erase`` erases the person from the store, the search index
and the agents' checkpoints, and is idempotent (``already_erased`` the second time). Both
answer 403 to anyone but an admin before any lookup and 404 for an id never held.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from userops.api.deps import Admin, RuntimeDep, ServicesDep

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])
UserId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Any record id of the person.")]


@router.get("/users/{user_id}/export")
def export_user(user: Admin, services: ServicesDep, user_id: UserId) -> dict[str, Any]:
    """Everything held about the person as one JSON document (the export is audited).

    Profile records, identities, merges, consents, events, traits, memberships, messages,
    audit rows and the places other rows mention them (docs/privacy.md).
    """
    from userops.cdp.dsr.export import export_person

    return export_person(services.engine, user_id, actor=user.name)


@router.post("/users/{user_id}/erase")
def erase_user(
    user: Admin, services: ServicesDep, runtime: RuntimeDep, user_id: UserId
) -> dict[str, Any]:
    """Erase the person everywhere (all or nothing in the store); answer what was done."""
    from agents.runtime.checkpoint_scrub import checkpoint_step
    from agents.runtime.locks import thread_lock
    from userops.cdp.dsr.erase import erase_person
    from userops.cdp.dsr.index import index_step

    engine = services.engine
    url = runtime.lock_url
    steps = [
        index_step(engine, services.settings),
        checkpoint_step(engine, runtime.graph.checkpointer, lambda tid: thread_lock(tid, url)),
    ]
    return erase_person(engine, user_id, user.name, outside=steps).as_dict()
