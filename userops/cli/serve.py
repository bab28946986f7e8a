"""`userops serve`: Run the operator and approver HTTP service."""

from __future__ import annotations

from typing import Any

import typer

app = typer.Typer(help="Run the operator and approver HTTP service.")

SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False}
"""uvicorn itself believes no ``X-Forwarded-For`` (by default it believes 127.0.0.1's, which
let any local client pick its address): the app does, from ``USEROPS_TRUSTED_PROXIES`` only."""


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    access_log: bool = typer.Option(True, help="Log every request (off for benchmarks)."),
) -> None:
    """Serve the API (OpenAPI at /openapi.json, /health, /metrics) under uvicorn.

    The store is opened and checked first: a damaged, unreadable or read-only store ends
    here with one line naming it, before any worker starts.
    """
    import uvicorn

    from userops.cli.common import store

    store().dispose()

    uvicorn.run(
        "userops.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
        **SERVER_OPTIONS,
    )
