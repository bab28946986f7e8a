"""Cached access tokens of the WeChat-family APIs (official account, WeCom)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
"""``errcode`` values meaning the access token is invalid or expired: refresh and retry once."""
RATE_ERRORS = frozenset({-1, 45009, 45011, 45033, 45047})
"""System busy, API frequency or call-volume limits: transient."""


class TokenCache:
    """One access token, refreshed ``margin`` seconds before it expires (or when told)."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[dict[str, Any]]],
        *,
        margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.margin = margin
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0

    async def get(self, *, stale: str | None = None) -> str:
        """A valid token; ``stale`` names one the provider refused (forces a refresh)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        async with self._lock:
            if self._token and self._token != stale and self.clock() < self._expires:
                return self._token
            data = await self._fetch()
            token = data.get("access_token")
            if not token:
                raise TokenError(f"token: errcode {data.get('errcode')} {data.get('errmsg')}")
            self.fetches += 1
            self._token = str(token)
            self._expires = self.clock() + float(data.get("expires_in", 7200)) - self.margin
            return self._token


class TokenError(RuntimeError):
    """The provider refused to issue an access token (bad app id/secret)."""
