"""What is kept of an erased person: keyed digests of their identifiers, nothing readable.

``userops privacy erase`` (:mod:`userops.cdp.dsr`) removes a person from the store and keeps,
per identifier they had (record id, external id, phone, e-mail, openid, unionid, device id),
one ``erasures`` row holding a keyed BLAKE2b digest of ``kind:value``. The key is random,
made once per store and kept in ``store_meta`` (so every process on the store computes the
same digests). That lets the importer say "this identifier belongs to an erased person;
imported as a new user" and lets a second erase of the same id answer "already erased",
while the table never holds the identifier itself. A digest is pseudonymous, not anonymous:
whoever holds the whole store can test a guessed phone number against it (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, cast, overload

from sqlalchemy import DateTime, Index, Integer, String, Table, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from userops.errors import NotRecorded
from userops.store.models import Base, utcnow

KEY_NAME = "erasure_key"
"""``store_meta`` key of the digest key (64 hex characters)."""


class Erasure(Base):
    """One identifier of an erased person, as a keyed digest (see the module docstring)."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_kind_digest", "kind", "digest"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32), index=True)
    """The erase request (also the ``entity_id`` of its ``privacy.erase`` audit row)."""
    kind: Mapped[str] = mapped_column(String(24))
    """``record``, ``external_id``, ``phone``, ``email``, ``wechat_openid``..."""
    digest: Mapped[str] = mapped_column(String(64))
    """Hex keyed BLAKE2b-256 of ``kind:value``."""
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


ERASURES = cast(Table, Erasure.__table__)
_GET = text("SELECT value FROM store_meta WHERE key = :k")
_PUT = text(
    "INSERT INTO store_meta (key, value, updated_at) VALUES (:k, :v, :at)"
    " ON CONFLICT (key) DO NOTHING"
)


@overload
def digest_key(conn: Connection, *, create: Literal[True]) -> bytes: ...
@overload
def digest_key(conn: Connection, *, create: bool) -> bytes | None: ...
def digest_key(conn: Connection, *, create: bool) -> bytes | None:
    """The store's digest key; made (inside the caller's transaction) when ``create``."""
    found = conn.execute(_GET, {"k": KEY_NAME}).scalar()
    if found is None and create:
        conn.execute(_PUT, {"k": KEY_NAME, "v": secrets.token_hex(32), "at": utcnow()})
        found = conn.execute(_GET, {"k": KEY_NAME}).scalar()
        if found is None:
            raise NotRecorded("the store did not keep the erasure digest key")
    return None if found is None else bytes.fromhex(str(found))


def digest(key: bytes, kind: str, value: str) -> str:
    """Keyed digest of one identifier."""
    return hashlib.blake2b(f"{kind}:{value}".encode(), key=key, digest_size=32).hexdigest()


def any_erasures(conn: Connection) -> bool:
    """True when the store has erased anyone (the importer's cheap first check)."""
    return conn.execute(select(ERASURES.c.id).limit(1)).first() is not None


def erased_request(conn: Connection, key: bytes, pairs: Iterable[tuple[str, str]]) -> str | None:
    """The latest erase request that held any of ``(kind, value)``, or None."""
    wanted = [(k, digest(key, k, v)) for k, v in pairs]
    best: tuple[int, str] | None = None
    for kind, dg in wanted:
        row = conn.execute(
            select(ERASURES.c.id, ERASURES.c.request_id)
            .where(ERASURES.c.kind == kind, ERASURES.c.digest == dg)
            .order_by(ERASURES.c.id.desc())
            .limit(1)
        ).first()
        if row is not None and (best is None or row[0] > best[0]):
            best = (int(row[0]), str(row[1]))
    return None if best is None else best[1]


def known_digests(conn: Connection, kind: str, digests: list[str]) -> set[str]:
    """Which of ``digests`` of ``kind`` belong to an erased person."""
    found: set[str] = set()
    for start in range(0, len(digests), 500):
        part = digests[start : start + 500]
        found.update(
            str(d)
            for (d,) in conn.execute(
                select(ERASURES.c.digest).where(
                    ERASURES.c.kind == kind, ERASURES.c.digest.in_(part)
                )
            )
        )
    return found
