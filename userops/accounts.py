"""People who use userops: named accounts with a role and a token stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, func, insert, select

from userops.domain import Role
from userops.errors import BadInput, Conflict
from userops.store.models import Account

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
APPROVER_ROLES: frozenset[str] = frozenset({Role.APPROVER.value, Role.ADMIN.value})


@dataclass(frozen=True)
class AccountInfo:
    """An account as shown to people (never the token or its hash)."""

    id: int
    name: str
    role: str
    disabled: bool


def hash_token(token: str) -> str:
    """Return the sha256 hex digest stored for ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(engine: Engine, name: str, role: str) -> tuple[AccountInfo, str]:
    """Create an account; return it with its token (shown once, stored only as a hash).

    Raises:
        BadInput: the name is empty or too long, or the role is unknown.
        Conflict: an account with this name exists.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise BadInput.one("must be 1 to 64 characters", field="name", value=name)
    if role not in ROLES:
        raise BadInput.one(f"must be one of {', '.join(ROLES)}", field="role", value=role)
    token = "uo_" + secrets.token_urlsafe(24)
    t = cast(Table, Account.__table__)
    with engine.begin() as conn:
        if conn.execute(select(t.c.id).where(t.c.name == name)).first() is not None:
            raise Conflict(f"account {name!r} already exists", current=name)
        row = {"name": name, "role": role, "token_hash": hash_token(token), "disabled": False}
        new_id = conn.execute(insert(t).values(**row).returning(t.c.id)).scalar_one()
    return AccountInfo(int(new_id), name, role, False), token


def list_users(engine: Engine) -> list[AccountInfo]:
    """Return every account, oldest first."""
    t = cast(Table, Account.__table__)
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.name, t.c.role, t.c.disabled).order_by(t.c.id))
        return [AccountInfo(r.id, r.name, r.role, bool(r.disabled)) for r in rows]


def find_user(engine: Engine, name: str) -> AccountInfo | None:
    """Return the enabled account called ``name``, or None."""
    t = cast(Table, Account.__table__)
    with engine.connect() as conn:
        r = conn.execute(
            select(t.c.id, t.c.name, t.c.role, t.c.disabled).where(t.c.name == name)
        ).first()
    if r is None or r.disabled:
        return None
    return AccountInfo(r.id, r.name, r.role, False)


def authenticate(engine: Engine, token: str) -> AccountInfo | None:
    """Return the enabled account whose token is ``token``, or None."""
    t = cast(Table, Account.__table__)
    with engine.connect() as conn:
        r = conn.execute(
            select(t.c.id, t.c.name, t.c.role, t.c.disabled).where(
                t.c.token_hash == hash_token(token)
            )
        ).first()
    if r is None or r.disabled:
        return None
    return AccountInfo(r.id, r.name, r.role, False)


def has_accounts(engine: Engine) -> bool:
    """Whether any account exists (without accounts the embedded store is single-user)."""
    t = cast(Table, Account.__table__)
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(t)).scalar_one())
