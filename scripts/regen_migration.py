"""Regenerate the single initial migration from the models (only while nothing is released)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from userops.store.engine import MIGRATIONS, alembic_config, make_engine


def main() -> None:
    """Delete 0001 and autogenerate it again from ``userops.store.models``."""
    for f in (MIGRATIONS / "versions").glob("0001_*.py"):
        f.unlink()
    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(f"sqlite:///{Path(d) / 'empty.db'}")
        command.revision(alembic_config(engine), "initial schema", autogenerate=True, rev_id="0001")


if __name__ == "__main__":
    main()
