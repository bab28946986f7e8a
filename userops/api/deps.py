"""Request dependencies: the store, the loop runtime, the authenticated user and role checks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo, authenticate
from userops.api.hub import Hub
from userops.api.limiter import FailureLimiter, failure_keys
from userops.api.metrics import Metrics
from userops.settings import Settings

OPERATOR_ROLES = ("operator", "admin")
APPROVER_ROLES = ("approver", "admin")
ANY_ROLE = ("operator", "approver", "admin")


class TokenCache:
    """Remember good tokens for ``ttl_s`` seconds (a disabled account stops within that)."""

    def __init__(self, ttl_s: float = 2.0) -> None:
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[float, AccountInfo]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> AccountInfo | None:
        """Return the account of ``token`` if it authenticated within ``ttl_s``."""
        with self._lock:
            hit = self._seen.get(token)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        return None

    def get(self, token: str, engine: Engine) -> AccountInfo | None:
        """Return the account of ``token`` (cached when it authenticated recently), or None."""
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(token)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        user = authenticate(engine, token)
        with self._lock:
            if user is None:
                self._seen.pop(token, None)
            else:
                if len(self._seen) > 10_000:
                    self._seen.clear()
                self._seen[token] = (now, user)
        return user


@dataclass
class Services:
    """What the routes share: settings, store, loop runtime, metrics, auth limiter."""

    settings: Settings
    engine: Engine
    metrics: Metrics
    limiter: FailureLimiter = field(init=False)
    """Failed authentications per client address and token, in the store (all workers)."""
    hub: Hub = field(init=False)
    """Thread events through the store to SSE watchers (built on ``engine``)."""
    tokens: TokenCache = field(default_factory=TokenCache)
    runtime: Any = None
    """The :class:`agents.runtime.threads.LoopRuntime`, opened by the app's lifespan."""

    _reads: CapacityLimiter | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the event hub and the failure limiter on the store."""
        self.hub = Hub(self.engine)
        s = self.settings
        self.limiter = FailureLimiter(self.engine, s.auth_fail_limit, s.auth_fail_window_s)

    def reads_limiter(self) -> CapacityLimiter:
        """Return the limiter of hot store reads: no more at once than the pool holds.

        The threadpool runs up to 40 calls at once; past the pool size each would open (and
        close) an overflow connection. Queuing on the pool size keeps every read on a warm
        pooled connection. Made on first use, inside the app's event loop.
        """
        if self._reads is None:
            size = getattr(self.engine.pool, "size", lambda: 5)()
            self._reads = CapacityLimiter(max(1, int(size)))
        return self._reads

    @property
    def policy_path(self) -> Path:
        """Where the admin-edited policy lives (the configured file or ``{home}/policy.yaml``)."""
        return self.settings.policy_file or self.settings.home / "policy.yaml"


async def get_services(request: Request) -> Services:
    """Return the app's :class:`Services`."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_engine(request: Request) -> Engine:
    """Return the store engine (one dependency, no sub-dependencies: it runs per request)."""
    services: Services = request.app.state.services
    return services.engine


EngineDep = Annotated[Engine, Depends(get_engine)]


async def get_runtime(services: ServicesDep) -> Any:
    """Return the loop runtime (503 while it is not open)."""
    if services.runtime is None:
        raise HTTPException(503, "the agent loop is not running")
    return services.runtime


RuntimeDep = Annotated[Any, Depends(get_runtime)]


def _token(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return x_api_key or None


async def current_user(request: Request) -> AccountInfo:
    """Authenticate ``Authorization: Bearer TOKEN`` (or ``x-api-key``); 401 otherwise.

    A valid token always passes. A failure counts against the client address and the token
    presented (:mod:`userops.api.limiter`); once either has too many in the window the answer
    is 429 instead of 401. The headers are read here rather than declared as parameters: one
    dependency per request instead of four keeps the per-request overhead down (the approvals
    list is hot).
    """
    services: Services = request.app.state.services
    headers = request.headers
    token = _token(headers.get("authorization"), headers.get("x-api-key"))
    user = services.tokens.cached(token) if token else None
    if token and user is None:
        user = await run_in_threadpool(services.tokens.get, token, services.engine)
    if user is not None:
        return user
    services.metrics.auth_failures.inc()
    keys = failure_keys(request.client.host if request.client else "?", token)
    limiter = services.limiter
    if await run_in_threadpool(limiter.refuse, keys):
        retry = {"Retry-After": str(int(limiter.window_s))}
        raise HTTPException(429, "too many failed authentications", retry)
    raise HTTPException(401, "missing or invalid token", {"WWW-Authenticate": "Bearer"})


CurrentUser = Annotated[AccountInfo, Depends(current_user)]


def require_role(*roles: str) -> Any:
    """Return a dependency that lets only ``roles`` through (403), before any lookup."""

    async def check(request: Request) -> AccountInfo:
        user = await current_user(request)
        if user.role not in roles:
            raise HTTPException(
                403, f"role {user.role} may not do this; needs {' or '.join(roles)}"
            )
        return user

    return Depends(check)


AnyUser = Annotated[AccountInfo, require_role(*ANY_ROLE)]
Operator = Annotated[AccountInfo, require_role(*OPERATOR_ROLES)]
Approver = Annotated[AccountInfo, require_role(*APPROVER_ROLES)]
Admin = Annotated[AccountInfo, require_role("admin")]
