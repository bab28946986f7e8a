"""Amounts and quantities past what sums and the store hold are ``FILE:LINE`` lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.support import count_rows
from userops.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("quantity", "99999999999999999999"),  # past 64 bits: was an OverflowError traceback
        ("quantity", "1000000000000"),
        ("amount", "1e308"),  # two of them summed to Infinity in the traits
        ("amount", "-1e300"),
    ],
)
def test_an_out_of_range_number_is_located(
    home: Path, tmp_path: Path, column: str, value: str
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("user_id,name\nu1,Li\n")
    assert runner.invoke(app, ["import", "users", str(users)]).exit_code == 0
    row = {"user_id": "u1", "type": "order", "ts": "1700000000", "amount": "1", "quantity": "1"}
    row[column] = value
    events = tmp_path / "events.csv"
    events.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n")
    res = runner.invoke(app, ["import", "events", str(events)])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert f"{events}:2 {column}='{value}': out of range" in res.stderr
    assert count_rows("events") == 0
