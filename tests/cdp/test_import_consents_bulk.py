"""The bulk consents path: the newest row wins (ties: the later row), audit details in SQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from tests.cdp.import_support import IMPORT_DATA, write_csv
from userops.cdp.ingest.importer import import_file
from userops.store.models import AuditLog

HEADER = "user_id,channel,status,source,ts"


def _audits(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    q = "SELECT entity_id, detail FROM audit WHERE action = 'consent.set' ORDER BY id"
    with engine.connect() as conn:
        rows = conn.execute(text(q)).all()
    return [(e, d if isinstance(d, dict) else json.loads(d)) for e, d in rows]


def test_ties_older_rows_and_audit_details_on_both_databases(
    any_engine: Engine, tmp_path: Path
) -> None:
    import_file(any_engine, "users", IMPORT_DATA / "users.csv")
    with any_engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT external_id, id FROM users")).all())
    first = write_csv(
        tmp_path / "a.csv",
        HEADER,
        [
            "app-1,sms,granted,crm,2024-01-01",
            "app-1,sms,withdrawn,reply,2024-01-01",  # same time, later row: wins
            "mp-4,email,granted,,2024-01-02",
        ],
    )
    res = import_file(any_engine, "consents", first)
    assert (res.inserted, res.updated, res.unchanged) == (2, 0, 1)
    second = write_csv(
        tmp_path / "b.csv",
        HEADER,
        ["app-1,sms,granted,web,2023-12-31", "mp-4,email,withdrawn,web,2024-02-01"],
    )
    res = import_file(any_engine, "consents", second)
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 1)
    app1, mp4 = ids["app-1"], ids["mp-4"]
    assert _audits(any_engine) == [
        (
            f"{app1}:sms",
            {
                "user_id": app1,
                "channel": "sms",
                "old": None,
                "new": {"status": "withdrawn", "source": "reply", "ts": 1704067200},
                "file": str(first),
            },
        ),
        (
            f"{mp4}:email",
            {
                "user_id": mp4,
                "channel": "email",
                "old": None,
                "new": {"status": "granted", "source": None, "ts": 1704153600},
                "file": str(first),
            },
        ),
        (
            f"{mp4}:email",
            {
                "user_id": mp4,
                "channel": "email",
                "old": {"status": "granted", "source": None, "ts": 1704153600},
                "new": {"status": "withdrawn", "source": "web", "ts": 1706745600},
                "file": str(second),
            },
        ),
    ]
    audit = AuditLog.__table__.c
    with any_engine.connect() as conn:  # read through the model's DateTime type
        at = conn.execute(select(audit.at).where(audit.action == "consent.set")).scalars().all()
    assert len(at) == 3 and all(a.year >= 2026 for a in at)
