"""The store's facts about itself (``store_meta``), above all whether it is *simulated*.

Simulation (responses drawn from the seed's hidden propensities, a worker clock moved hours
ahead) may run only on a store made for it: ``userops seed``, ``userops demo`` and the eval
runner mark the store they create (:func:`mark_simulated`). The functions that write
simulated rows check the mark in their own transaction (:func:`require_simulated`), so a
caller that forgets to ask still cannot write simulated orders, consents or a moved clock's
sends into a real store. The mark is a row, so it travels with the store (an eval's copied
SQLite file stays simulated) and nothing else can make a store simulated.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from userops.errors import PolicyRefused

SIMULATED = "simulated"
"""The key of the mark; its value says who made the store (``seed``, ``demo``, ``eval``)."""

_GET = text("SELECT value FROM store_meta WHERE key = :k")
_PUT = text(
    "INSERT INTO store_meta (key, value, updated_at) VALUES (:k, :v, :at)"
    " ON CONFLICT (key) DO NOTHING"
)


class NotSimulated(PolicyRefused):
    """Simulation was asked of a store that is not marked simulated (a real store)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"refused: {what} runs only on a store made for simulation (seed, demo, eval);"
            " this store is not marked simulated",
            reason="not_simulated",
        )


def simulated_by(conn: Connection) -> str | None:
    """Who marked the store simulated (``seed``, ``demo``, ``eval``), or None: a real store."""
    value = conn.execute(_GET, {"k": SIMULATED}).scalar()
    return None if value is None else str(value)


def is_simulated(bind: Engine | Connection) -> bool:
    """True when the store is marked simulated."""
    if isinstance(bind, Connection):
        return simulated_by(bind) is not None
    with bind.connect() as conn:
        return simulated_by(conn) is not None


def require_simulated(conn: Connection, what: str) -> None:
    """Refuse (:class:`NotSimulated`) unless the store is marked simulated.

    Called inside the transaction that writes the simulated rows, so the check and the
    writes see the same store.
    """
    if simulated_by(conn) is None:
        raise NotSimulated(what)


def mark_simulated(bind: Engine | Connection, by: str) -> None:
    """Mark the store as made for simulation by ``by`` (idempotent: the first mark stays)."""
    params = {"k": SIMULATED, "v": by, "at": datetime.now(UTC)}
    if isinstance(bind, Connection):
        bind.execute(_PUT, params)
        return
    with bind.begin() as conn:
        conn.execute(_PUT, params)
