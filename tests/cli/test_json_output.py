"""``--json`` output is JSON (RFC 8259): no ``Infinity`` or ``NaN`` tokens, whatever is stored."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from userops.cli.common import print_json
from userops.cli.main import app
from userops.store.engine import open_store

runner = CliRunner()


def _strict(out: str) -> object:
    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(out, parse_constant=refuse)


def test_non_finite_numbers_are_printed_as_null(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"aov": math.inf, "rows": [1.5, -math.inf, math.nan], "n": 3})
    assert _strict(capsys.readouterr().out) == {"aov": None, "rows": [1.5, None, None], "n": 3}


def test_profiles_show_of_a_stored_infinite_trait_is_json(home: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("user_id,name\nu1,Li\n")
    assert runner.invoke(app, ["import", "users", str(users)]).exit_code == 0
    assert runner.invoke(app, ["profiles", "build", "--json"]).exit_code == 0
    engine = open_store()
    try:  # what two orders of 1e308 made before amounts were bounded
        with engine.begin() as conn:
            conn.execute(text("UPDATE traits SET monetary_365d = :v, aov = :v"), {"v": math.inf})
    finally:
        engine.dispose()
    res = runner.invoke(app, ["profiles", "show", "u1", "--json"])
    assert res.exit_code == 0, res.output
    data = _strict(res.stdout)
    assert isinstance(data, dict) and data["traits"]["monetary_365d"] is None
