"""Thread ids and who may see a thread: operators their own, approvers and admins all.

A thread id is what ``/v1`` generates (``t-`` and 12 hex digits), what ``langgraph-sdk``
generates (a UUID) or what a caller chose within the same alphabet: 1 to 64 letters,
digits, ``_``, ``.``, ``:`` or ``-`` (the store's column is 64 characters wide).

Operators read and act only on the threads they started (the thread's ``owner``, set once
by its first message); approvers and admins read every thread. A thread someone may not see
is answered exactly like one that does not exist (404), so its existence is not leaked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from userops.accounts import APPROVER_ROLES
from userops.errors import BadInput

THREAD_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
"""Every valid thread id (a UUID, ``t-<hex>`` or a chosen name); linear-time to match."""
_THREAD_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def check_thread_id(value: Any, *, field: str = "thread_id") -> str:
    """Return ``value`` if it is a valid thread id.

    Raises:
        BadInput: naming ``field`` (the value shown is cut to 80 characters, escaped when
            not printable).
    """
    if isinstance(value, str) and _THREAD_ID.fullmatch(value):
        return value
    shown = value[:80] if isinstance(value, str) else type(value).__name__
    if not shown.isprintable():  # control characters, lone surrogates: shown escaped
        shown = ascii(shown)
    raise BadInput.one(
        "must be 1 to 64 letters, digits, '_', '.', ':' or '-' (a UUID or t-<hex>)",
        field=field,
        value=shown,
    )


def sees_all(role: str) -> bool:
    """Whether ``role`` reads every thread (approvers and admins)."""
    return role in APPROVER_ROLES


def owner_of(values: Mapping[str, Any]) -> str | None:
    """Return who started the thread whose state is ``values`` (None: no thread yet).

    Threads started before owners were recorded fall back to the goal's requester.
    """
    owner = values.get("owner") or values.get("requested_by")
    return str(owner) if owner else None


def may_see(name: str, role: str, values: Mapping[str, Any]) -> bool:
    """Whether the user ``name`` with ``role`` may read the thread whose state is ``values``."""
    return sees_all(role) or (bool(values) and owner_of(values) == name)
