"""The FastAPI application: ``create_app(settings)`` wires the store, the loop and the routes."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from userops.api.deps import Services
from userops.api.errors import install_error_handlers
from userops.api.guard import RequestGuard
from userops.api.metrics import Metrics, install_metrics
from userops.settings import Settings, get_settings

log = logging.getLogger(__name__)


def start_recovery(rt: Any) -> threading.Thread:
    """Run the recovery sweep over ``rt`` in a background thread (logged, never raises)."""
    from agents.runtime.recovery import recover

    def run() -> None:
        try:
            for r in recover(rt):
                log.warning("start-up recovery: %s", r.to_dict())
        except Exception:
            log.exception("start-up recovery sweep failed")

    t = threading.Thread(target=run, name="userops-recovery", daemon=True)
    t.start()
    return t


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    loop_deps: Any = None,
    recover: bool = True,
) -> FastAPI:
    """Build the app.

    Args:
        settings: Configuration (default: the ``USEROPS_*`` environment).
        engine: The store (default: opened from ``settings``).
        loop_deps: Agent-loop dependencies (``agents.nodes.deps.LoopDeps``); default: the
            configured planner, evaluator and dispatch.
        recover: At start-up, resume approved threads a killed process left unfinished
            (:mod:`agents.runtime.recovery`, in a background thread; each worker may run it, the
            per-thread lock keeps one run per thread).
    """
    from userops import __version__
    from userops.api.routes import (
        approvals,
        callbacks,
        campaigns,
        health,
        ingest,
        journeys_propose,
        langgraph_compat,
        lg_assistants,
        lg_runs,
        lg_thread_crud,
        lg_threads,
        policy,
        privacy,
        profiles,
        segments,
        threads,
        unsubscribe,
        web,
    )

    s = settings or get_settings()
    if engine is None:
        from userops.store.engine import open_store

        engine = open_store(s.resolved_database_url())
    services = Services(settings=s, engine=engine, metrics=Metrics())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        from agents.runtime.threads import open_runtime
        from userops.cdp.stream.profiles import updates_for

        updates_for(services.engine).wake()  # traits a killed process left due (docs/traits.md)
        with open_runtime(settings=s, engine=services.engine, deps=loop_deps) as rt:
            services.runtime = rt
            sweep = start_recovery(rt) if recover else None
            try:
                yield
            finally:
                from userops.api.lg_live import drain

                drain(id(services), 10.0)  # LangGraph background runs stop before the runtime
                if sweep is not None:
                    sweep.join()  # the sweep uses the runtime: let it finish first
                services.runtime = None

    app = FastAPI(
        title="userops",
        version=__version__,
        description="Operator and approver API of userops (全域用户运营).",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    uploads = {"/v1/profiles/import": profiles.MAX_UPLOAD}

    def templates() -> list[str]:
        """The routes' path templates, read when a request first needs them."""
        return list(app.openapi()["paths"])

    app.add_middleware(
        RequestGuard,
        templates=templates,
        max_body=s.max_body_bytes,
        uploads=uploads,
        own_checks=ingest.PATHS,  # a bad event is refused in its message, not the whole batch
    )
    install_metrics(app, services.metrics)
    if s.proxy_list():  # only these peers' X-Forwarded-For is believed (none by default)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=s.proxy_list())
    if s.cors_list():  # outermost: a browser's preflight is answered before auth
        app.add_middleware(
            CORSMiddleware,
            allow_origins=s.cors_list(),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Content-Location", "Location", "Retry-After"],
        )
    for module in (health, threads, approvals, campaigns, segments, profiles, policy, ingest):
        app.include_router(module.router)
    app.include_router(journeys_propose.router)
    app.include_router(privacy.router)
    app.include_router(callbacks.router)
    app.include_router(unsubscribe.router)
    app.include_router(langgraph_compat.router)
    app.include_router(lg_assistants.router)
    app.include_router(lg_threads.router)
    app.include_router(lg_thread_crud.router)
    app.include_router(lg_runs.router)
    app.include_router(web.router)
    app.include_router(lg_assistants.unsupported)  # last: LangGraph routes not served (501)
    return app
