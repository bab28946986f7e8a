"""Liveness with a store check (no auth) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from userops.api.deps import AnyUser, ServicesDep, current_user

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    responses={
        401: {"description": "``deep`` without a token"},
        503: {"description": "the store failed its check (``store.error`` says how)"},
    },
)
async def health(
    request: Request,
    services: ServicesDep,
    deep: bool = Query(False, description="Full integrity check (any role; slow on a big store)."),
) -> JSONResponse:
    """Say whether the service and its store are usable (no authentication).

    The store must answer reads of its key tables and pass SQLite's ``quick_check`` within
    a fraction of a second (``store.complete`` is false when the budget ran out before the
    last page). ``deep``: the full ``integrity_check``, which reads every page, so it needs
    a token. 503 when the store fails.
    """
    from userops import __version__
    from userops.store.check import probe

    if deep:
        await current_user(request)
    store = await run_in_threadpool(lambda: probe(services.engine, deep=deep))
    body = {"status": "ok" if store["ok"] else "unavailable", "version": __version__}
    return JSONResponse({**body, "store": store}, status_code=200 if store["ok"] else 503)


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep, _user: AnyUser) -> Response:
    """Prometheus metrics (any authenticated role)."""
    return services.metrics.render()
