"""Helpers shared by the CLI tests."""

from sqlalchemy import text

from userops.store.engine import open_store


def count_rows(table: str) -> int:
    """Rows of ``table`` in the configured store (the one the CLI just wrote)."""
    engine = open_store()
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()
