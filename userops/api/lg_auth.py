"""Custom auth for the official LangGraph server (``langgraph.json``'s ``auth``).

``langgraph dev`` / ``langgraph up`` running the loop then takes userops' tokens
(``Authorization: Bearer`` or ``x-api-key``, from ``userops users add``): the user's name is
the run's ``langgraph_auth_user_id``, which the approval gate takes as the decider
(:func:`agents.nodes.gate.decider`; never a name in the resume payload), and the role the
store's rules check. Threads follow the rule of ``userops serve``: an operator's threads
carry ``metadata.owner`` and operators see only their own; approvers and admins see all.
The token lookup runs in a worker thread, never on the server's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from langgraph_sdk import Auth
from sqlalchemy import Engine

from userops import accounts

auth = Auth()


@lru_cache(maxsize=1)
def store() -> Engine:
    """The configured store (``USEROPS_*``), opened once per server process."""
    from userops.settings import get_settings
    from userops.store.engine import open_store

    return open_store(get_settings().resolved_database_url())


def token_of(authorization: str | None, headers: Mapping[Any, Any]) -> str:
    """The presented token: ``Authorization: Bearer T`` or ``x-api-key: T`` ("" if none)."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    key = headers.get(b"x-api-key") or headers.get("x-api-key") or b""
    return key.decode() if isinstance(key, bytes) else str(key)


def _lookup(token: str) -> accounts.AccountInfo | None:
    return accounts.authenticate(store(), token)  # opening the store makes its folder too


@auth.authenticate
async def authenticate(
    authorization: str | None, headers: Mapping[Any, Any]
) -> Auth.types.MinimalUserDict:
    """The account the token belongs to; 401 without a valid one."""
    token = token_of(authorization, headers)
    account = await asyncio.to_thread(_lookup, token) if token else None
    if account is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="a valid userops token")
    return {"identity": account.name, "display_name": account.name, "permissions": [account.role]}


@auth.on.threads
async def own_threads(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | None:
    """Operators: new threads are theirs, and they see only their own."""
    if set(ctx.permissions) & accounts.APPROVER_ROLES:
        return None
    if ctx.action == "create" and isinstance(value, dict):
        value.setdefault("metadata", {})["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}
