from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cdp.import_support import IMPORT_DATA, USER_HEADER, write_csv
from tests.cli.support import count_rows
from userops.cli.main import app

runner = CliRunner()


def test_import_users_summary_then_json_reimport(home: Path) -> None:
    res = runner.invoke(app, ["import", "users", str(IMPORT_DATA / "users.csv")])
    assert res.exit_code == 0, res.output
    assert "5 rows read" in res.stdout and "5 inserted" in res.stdout
    assert "identity merges: 2" in res.stdout
    res = runner.invoke(app, ["import", "users", str(IMPORT_DATA / "users.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["rows"], data["inserted"], data["unchanged"], data["merges"]) == (5, 0, 5, 0)


def test_bad_rows_exit_1_on_stderr_and_write_nothing(home: Path) -> None:
    path = IMPORT_DATA / "users_bad.csv"
    res = runner.invoke(app, ["import", "users", str(path)])
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[1] == f"{path}:4 phone='12345': not a valid phone number"
    assert len(lines) == 6
    assert res.stdout == ""
    assert count_rows("users") == 0


def test_sixty_bad_rows_cli(home: Path, tmp_path: Path) -> None:
    rows = [f"u{i},,,,,,Nowhere/{i},,," for i in range(60)]
    path = write_csv(tmp_path / "bad.csv", USER_HEADER, rows)
    res = runner.invoke(app, ["import", "users", str(path)])
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 51 and lines[-1] == "... and 10 more"
    assert lines[0] == f"{path}:2 timezone='Nowhere/0': not an IANA time zone (e.g. Asia/Shanghai)"


def test_events_and_consents_commands_with_mapping(home: Path, tmp_path: Path) -> None:
    ok = runner.invoke(
        app,
        [
            "import",
            "users",
            str(IMPORT_DATA / "users_mapped.csv"),
            "--map",
            "cust_id=user_id",
            "--map",
            "mobile=phone",
            "--map",
            "mail=email",
            "--map",
            "tz=timezone",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "ignored columns: full_name" in ok.stdout
    ev = write_csv(
        tmp_path / "ev.csv", "uid,kind,when", ["crm-1,visit,2024-05-01", "crm-2,visit,2024-05-02"]
    )
    res = runner.invoke(
        app,
        [
            "import",
            "events",
            str(ev),
            "--map",
            "uid=user_id",
            "--map",
            "kind=type",
            "--map",
            "when=ts",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["inserted"] == 2
    co = write_csv(
        tmp_path / "co.csv", "user_id,channel,status,ts", ["crm-1,sms,granted,2024-05-01"]
    )
    res = runner.invoke(app, ["import", "consents", str(co)])
    assert res.exit_code == 0, res.output
    assert count_rows("events") == 2 and count_rows("consents") == 1
    bad = runner.invoke(app, ["import", "users", str(IMPORT_DATA / "users.csv"), "--map", "oops"])
    assert bad.exit_code == 2 and "SOURCE=TARGET" in bad.stderr


def test_jsonl_by_suffix_and_format_option(home: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["import", "users", str(IMPORT_DATA / "users.jsonl"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["format"] == "jsonl"
    copy = tmp_path / "users.txt"
    copy.write_bytes((IMPORT_DATA / "users.jsonl").read_bytes())
    res = runner.invoke(app, ["import", "users", str(copy), "--format", "jsonl", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["unchanged"] == 5


def test_progress_bar_path(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import userops.cli.imports as imports

    monkeypatch.setattr(imports, "BAR_MIN_ROWS", 1)
    res = runner.invoke(app, ["import", "users", str(IMPORT_DATA / "users.csv")])
    assert res.exit_code == 0, res.output
    assert "5 inserted" in res.stdout
    assert count_rows("users") == 5
