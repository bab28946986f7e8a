"""Liveness (no auth) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from userops.api.deps import AnyUser, ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, Any]:
    """Say the service is up (no authentication)."""
    from userops import __version__

    return {"status": "ok", "version": __version__}


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep, _user: AnyUser) -> Response:
    """Prometheus metrics (any authenticated role)."""
    return services.metrics.render()
