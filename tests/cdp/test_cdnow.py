"""CDNOW transaction import: formats, validation (all or nothing), idempotent re-import, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from tests.conftest import DATA
from userops.cdp.ingest.cdnow import import_cdnow
from userops.cli.main import app
from userops.errors import BadInput
from userops.store.models import Event, User

SAMPLE = DATA / "CDNOW_sample.txt"


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        users = conn.execute(select(func.count()).select_from(User)).scalar_one()
        events = conn.execute(select(func.count()).select_from(Event)).scalar_one()
    return users, events


def test_sample_import_creates_users_and_orders(sqlite_engine: Engine) -> None:
    result = import_cdnow(sqlite_engine, SAMPLE)
    assert result.rows == 6919
    assert result.extra["customers"] == 2357
    assert _counts(sqlite_engine) == (2357, 6919)
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.ts, e.quantity, e.amount, e.type FROM events e JOIN users u"
                " ON u.id = e.user_id WHERE u.external_id = 'cdnow:00004' ORDER BY e.ts"
            )
        ).first()
    assert row is not None
    assert tuple(row) == (852076800, 2, 29.33, "order")  # 1997-01-01T00:00:00Z


def test_reimport_changes_nothing(any_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(
        " 00001 0001 19970101  1   11.77\n 00001 0001 19970101  1   11.77\n"
        " 00002 0002 19970112  2   12.00\n"
    )
    first = import_cdnow(any_engine, path)
    assert (first.inserted, first.extra["users_created"]) == (3, 2)
    again = import_cdnow(any_engine, path)
    assert (again.inserted, again.unchanged, again.extra["users_created"]) == (0, 3, 0)
    assert _counts(any_engine) == (2, 3)


def test_master_format_with_header_four_columns(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "master.txt"
    path.write_text(
        " customer_id  date number_of_cds  dollar_value\n"
        " 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n"
    )
    assert import_cdnow(sqlite_engine, path).rows == 2
    assert _counts(sqlite_engine) == (2, 2)


@pytest.mark.parametrize(
    ("line", "where"),
    [
        (" 00003 0003 19971301  1   5.00", "bad.txt:3 date='19971301'"),
        (" 00003 0003 19970102  x   5.00", "bad.txt:3 quantity='x'"),
        (" 00003 0003 19970102  1   -5", "bad.txt:3 amount='-5'"),
        (" 0000A 0003 19970102  1   5", "bad.txt:3 customer_id='0000A'"),
        (" 00003 19970102  1   5", "bad.txt:3 row="),
    ],
)
def test_bad_row_names_the_place_and_writes_nothing(
    sqlite_engine: Engine, tmp_path: Path, line: str, where: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f" 00001 0001 19970101  1   11.77\n 00002 0002 19970112  2   12.00\n{line}\n")
    with pytest.raises(BadInput) as err:
        import_cdnow(sqlite_engine, path)
    assert where in str(err.value)
    assert _counts(sqlite_engine) == (0, 0)


def test_cli_import_transactions(home: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["import", "transactions", str(SAMPLE), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["inserted"] == 6919
    bad = runner.invoke(app, ["import", "transactions", str(SAMPLE), "--format", "csv"])
    assert bad.exit_code == 1
