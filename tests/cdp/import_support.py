"""Helpers for the import and identity tests: fixture paths and table snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

IMPORT_DATA = Path(__file__).parent.parent / "data" / "import"
TABLES = ("users", "identities", "identity_merges", "events", "consents", "audit")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import may touch, ordered by id."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            out[table] = [tuple(r) for r in rows]
    return out


def counts(engine: Engine) -> dict[str, int]:
    """Row count of each table an import may touch."""
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    """Write a small CSV file (header + rows) and return its path."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


USER_HEADER = "user_id,name,phone,email,wechat_openid,device_id,timezone,language,region,created_at"
