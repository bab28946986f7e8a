"""Stores broken on purpose: a page overwritten mid-file, a file that is no database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.dispatch.factory import add_users
from userops.store.engine import make_engine, upgrade

PAGE = 4096


def filled_store(path: Path, users: int = 3000) -> Engine:
    """A migrated SQLite store at ``path`` with ``users`` users and their consents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    add_users(engine, users)
    return engine


def corrupt_mid_file(path: Path, pages_from_end: int = 8) -> None:
    """Overwrite one page in the second half of the file (the users' data) with garbage.

    The header, the schema and the first tables (``alembic_version``) stay readable, so
    the store opens and migrates as if nothing were wrong.
    """
    size = path.stat().st_size
    assert size > 64 * PAGE, "fill the store first"
    with path.open("r+b") as f:
        f.seek((size // PAGE - pages_from_end) * PAGE)
        f.write(b"\xa5" * PAGE)
