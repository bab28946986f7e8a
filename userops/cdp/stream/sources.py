"""Sources of real-time events and their write keys (stored only as a sha256 hash).

A source is a named sender (a web site, an app, a server). Its write key authenticates it
the way Segment's libraries do (HTTP Basic, key as the user name, empty password). A revoked
source stays listed (its name stays taken) and its key is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select, update

from userops.domain import Source
from userops.errors import BadInput, Conflict, NotFound
from userops.store.models import IngestSource

_T = cast(Table, IngestSource.__table__)
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
"""A source name: lower-case letters, digits, ``_ . -``; 1 to 32 characters."""
TOUCHPOINTS: tuple[str, ...] = tuple(
    s.value for s in Source if s.value not in ("import", "sandbox")
)
KEY_PREFIX = "wk_"
CACHE_TTL_S = 2.0
"""A write key checked within this many seconds is not looked up again (a revoked key is
refused within this time on every worker)."""


@dataclass(frozen=True)
class SourceInfo:
    """A source as shown to people (never its key or the key's hash)."""

    id: int
    name: str
    touchpoint: str | None
    created_at: datetime
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "name": self.name,
            "touchpoint": self.touchpoint,
            "created_at": self.created_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
        }


def hash_key(key: str) -> str:
    """Return the sha256 hex digest stored for write key ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_source(engine: Engine, name: str, touchpoint: str | None = None) -> tuple[SourceInfo, str]:
    """Create a source; return it with its write key (shown once, stored only as a hash).

    Raises:
        BadInput: the name or touchpoint is invalid.
        Conflict: a source of this name exists (revoked or not).
    """
    name = name.strip()
    if not NAME.fullmatch(name):
        reason = "must be 1 to 32 characters: a-z, 0-9, '_', '.', '-' (starting a-z or 0-9)"
        raise BadInput.one(reason, field="name", value=name)
    if touchpoint is not None and touchpoint not in TOUCHPOINTS:
        reason = f"must be one of {', '.join(TOUCHPOINTS)}"
        raise BadInput.one(reason, field="touchpoint", value=touchpoint)
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if conn.execute(select(_T.c.id).where(_T.c.name == name)).first() is not None:
            raise Conflict(f"source {name!r} already exists", current=name)
        row = {"name": name, "key_hash": hash_key(key), "touchpoint": touchpoint, "created_at": now}
        new_id = conn.execute(insert(_T).values(**row).returning(_T.c.id)).scalar_one()
    return SourceInfo(int(new_id), name, touchpoint, now, None), key


def list_sources(engine: Engine) -> list[SourceInfo]:
    """Every source, oldest first."""
    cols = (_T.c.id, _T.c.name, _T.c.touchpoint, _T.c.created_at, _T.c.revoked_at)
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(_T.c.id)).all()
    return [SourceInfo(int(r[0]), r[1], r[2], _aware(r[3]), _aware(r[4])) for r in rows]


def revoke_source(engine: Engine, name: str) -> SourceInfo:
    """Revoke the key of source ``name`` (for good; add a new source to send again).

    Raises:
        NotFound: no such source.
        Conflict: it is already revoked.
    """
    with engine.begin() as conn:
        row = conn.execute(select(_T.c.id, _T.c.revoked_at).where(_T.c.name == name)).first()
        if row is None:
            raise NotFound(f"source {name!r} not found")
        if row[1] is not None:
            raise Conflict(f"source {name!r} was already revoked", current=name)
        conn.execute(update(_T).where(_T.c.id == row[0]).values(revoked_at=datetime.now(UTC)))
    return next(s for s in list_sources(engine) if s.name == name)


def _aware(value: datetime | None) -> Any:
    if value is not None and value.tzinfo is None:  # SQLite gives naive UTC
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class Sender:
    """An authenticated, active source (what a request is attributed to)."""

    id: int
    name: str
    touchpoint: str | None


class KeyCache:
    """Write key -> active source, each answer kept ``CACHE_TTL_S`` seconds."""

    def __init__(self, ttl_s: float = CACHE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[float, Sender | None]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> Sender | None:
        """The active source of ``key`` if it was checked within ``ttl_s`` (no store access)."""
        with self._lock:
            hit = self._seen.get(hash_key(key))
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        return None

    def get(self, engine: Engine, key: str) -> Sender | None:
        """Return the active source whose write key is ``key``, or None."""
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(digest)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        found = authenticate(engine, key)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[digest] = (now, found)
        return found


def authenticate(engine: Engine, key: str) -> Sender | None:
    """Return the active (not revoked) source whose write key is ``key``, or None."""
    if not key or len(key) > 200:
        return None
    q = select(_T.c.id, _T.c.name, _T.c.touchpoint, _T.c.revoked_at).where(
        _T.c.key_hash == hash_key(key)
    )
    with engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None or row[3] is not None:
        return None
    return Sender(int(row[0]), row[1], row[2])
