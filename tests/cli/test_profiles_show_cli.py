"""`userops profiles show USER_ID [--json]` through the Typer app."""

from __future__ import annotations

import json

from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from tests.cdp.test_traits import AS_OF, seed_store
from userops.cdp.traits.build import build_profiles
from userops.cdp.traits.write import TRAIT_COLUMNS
from userops.cli.main import app
from userops.store.models import User

runner = CliRunner()


def test_show_prints_one_profile_as_json_and_as_a_table(sqlite_engine: Engine) -> None:
    seed_store(sqlite_engine)
    build_profiles(sqlite_engine, as_of=AS_OF)

    out = runner.invoke(app, ["profiles", "show", "1", "--json"])

    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["user_id"], data["external_id"], data["as_of"]) == (1, "t:1", "2024-06-30")
    assert set(data["traits"]) == set(TRAIT_COLUMNS) - {"user_id"}
    t = data["traits"]
    assert (t["orders_total"], t["days_since_last_order"], t["interests"]) == (
        2,
        10,
        ",coffee,tea,",
    )
    by_external = json.loads(runner.invoke(app, ["profiles", "show", "t:1", "--json"]).stdout)
    assert by_external == data
    merged = json.loads(runner.invoke(app, ["profiles", "show", "2", "--json"]).stdout)
    assert (merged["user_id"], merged["record_id"], merged["merged"]) == (1, 2, True)
    assert merged["traits"] == t
    table = runner.invoke(app, ["profiles", "show", "6"])
    assert table.exit_code == 0, table.output
    assert "lifecycle_stage" in table.stdout and "reactivated" in table.stdout


def test_show_unknown_or_unprofiled_user_fails_clearly(sqlite_engine: Engine) -> None:
    seed_store(sqlite_engine)
    build_profiles(sqlite_engine, as_of=AS_OF)
    with sqlite_engine.begin() as conn:
        conn.execute(insert(User), {"id": 50, "external_id": "late", "created_ts": 0})

    unknown = runner.invoke(app, ["profiles", "show", "999", "--json"])
    assert unknown.exit_code == 1
    assert "USER_ID='999': no user record has this id or external id" in unknown.output
    assert "Traceback" not in unknown.output and unknown.stdout == ""
    too_long = runner.invoke(app, ["profiles", "show", "x" * 500])
    assert too_long.exit_code == 1 and "USER_ID" in too_long.output
    unprofiled = runner.invoke(app, ["profiles", "show", "late"])
    assert unprofiled.exit_code == 1
    assert "user 50 has no profile yet" in unprofiled.output
