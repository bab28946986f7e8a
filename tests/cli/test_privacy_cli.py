"""`userops privacy export|erase`: the document, its summary, confirmation, idempotence."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.cdp.dsr_support import BIG, MERGED, NAME, PHONE, seed_person
from tests.cdp.import_support import USER_HEADER, write_csv
from tests.cli.support import count_rows
from userops.cli.main import app

runner = CliRunner()


def test_export_to_a_private_file_with_a_summary(sqlite_engine: Engine, tmp_path: Path) -> None:
    seed_person(sqlite_engine)
    out = tmp_path / "person.json"
    res = runner.invoke(app, ["privacy", "export", str(MERGED), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["canonical_id"] == BIG and info["out"] == str(out)
    assert info["counts"]["events"] == 2 and info["counts"]["messages.outbox"] == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["record_ids"] == [BIG, MERGED] and doc["records"][0]["name"] == NAME
    plain = runner.invoke(app, ["privacy", "export", str(BIG)])
    assert plain.exit_code == 0 and json.loads(plain.stdout)["canonical_id"] == BIG
    assert runner.invoke(app, ["privacy", "export", str(BIG), "--json"]).exit_code == 2
    assert runner.invoke(app, ["privacy", "export", "0"]).exit_code == 2
    missing = runner.invoke(app, ["privacy", "export", "424242"])
    assert missing.exit_code == 1 and "user 424242 not found" in missing.output
    nowhere = runner.invoke(app, ["privacy", "export", str(BIG), "--out", str(tmp_path / "no/x")])
    assert nowhere.exit_code == 1 and "cannot write the export" in nowhere.output


def test_erase_asks_then_erases_once_and_a_reimport_is_told(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    seed_person(sqlite_engine)
    refused = runner.invoke(app, ["privacy", "erase", str(BIG)], input="n\n")
    assert refused.exit_code == 1 and count_rows("users") == 3
    res = runner.invoke(app, ["privacy", "erase", str(BIG), "--yes", "--json", "--as", "dpo"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "erased" and data["records"] == 2
    assert data["outside"] == {"index_documents": 0, "checkpoint_threads": 0}
    assert count_rows("users") == 1
    again = runner.invoke(app, ["privacy", "erase", str(MERGED), "--yes"])
    assert again.exit_code == 0 and "already erased" in again.output
    path = write_csv(tmp_path / "u.csv", USER_HEADER, [f"back-1,Wei,{PHONE},,,,,,,"])
    imported = runner.invoke(app, ["import", "users", str(path)])
    assert imported.exit_code == 0, imported.output
    assert f"{path}:2 phone: this identifier belongs to an erased person" in imported.output
