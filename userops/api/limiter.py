"""Failed authentications, counted in the store per client address and per presented token.

A valid token is never refused: it is checked first, and only a request that fails to
authenticate consults the counts. Past ``limit`` failures in ``window_s`` seconds a client
address, or a token, is answered 429 instead of 401 and its failures are no longer written
(a flood costs one indexed read per request). The counts are rows of ``auth_failures``, so
every ``userops serve --workers N`` process shares them. The client address is the peer's:
``X-Forwarded-For`` counts only from ``Settings.trusted_proxies``.
"""

from __future__ import annotations

import hashlib
import random
import time
from typing import Any, cast

from sqlalchemy import Engine, Table, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite

from userops.store.models import AuthFailure

_T = cast(Table, AuthFailure.__table__)
SWEEP_SHARE = 0.01
"""Share of written failures that also delete the rows whose window has passed."""


def failure_keys(client: str, token: str | None) -> list[str]:
    """The counters a failed request adds to: its address, and its token when it gave one."""
    keys = [f"addr:{client}"[:80]]
    if token:
        keys.append("token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32])
    return keys


class FailureLimiter:
    """Refuse a client address or a token after too many failed authentications."""

    def __init__(self, engine: Engine, limit: int = 20, window_s: float = 60.0) -> None:
        self.engine = engine
        self.limit = limit
        self.window_s = window_s
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert: Any = dialect.insert

    def refuse(self, keys: list[str]) -> bool:
        """Whether the failed request is refused (429); if not, count it against ``keys``."""
        now = time.time()
        if self.blocked(keys, now):
            return True
        self.fail(keys, now)
        return False

    def blocked(self, keys: list[str], now: float | None = None) -> bool:
        """Whether any of ``keys`` has used up its failures in the current window."""
        since = (time.time() if now is None else now) - self.window_s
        q = select(_T.c.key).where(
            _T.c.key.in_(keys), _T.c.window_start > since, _T.c.failures >= self.limit
        )
        with self.engine.connect() as conn:
            return conn.execute(q.limit(1)).first() is not None

    def fail(self, keys: list[str], now: float | None = None) -> None:
        """Count one failure for each of ``keys`` (a new window where the last one passed)."""
        now = time.time() if now is None else now
        expired = _T.c.window_start <= now - self.window_s
        ins = self._insert(_T)
        stmt = ins.on_conflict_do_update(
            index_elements=[_T.c.key],
            set_={
                "failures": case((expired, 1), else_=_T.c.failures + 1),
                "window_start": case((expired, now), else_=_T.c.window_start),
            },
        )
        rows = [{"key": k, "window_start": now, "failures": 1} for k in sorted(keys)]
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # a count lost in a crash harms no one
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            conn.execute(stmt, rows)
            if random.random() < SWEEP_SHARE:
                conn.execute(delete(_T).where(_T.c.window_start <= now - self.window_s))
