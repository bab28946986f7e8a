"""`userops sources add|list|revoke`: keys shown once, stored hashed, revoked for good."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from userops.cdp.stream.sources import authenticate, hash_key
from userops.cli.main import app

runner = CliRunner()


def test_add_prints_the_write_key_once_and_stores_its_hash(home: Path) -> None:
    res = runner.invoke(app, ["sources", "add", "web-site", "--touchpoint", "web", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["source"] == "web-site" and out["write_key"].startswith("wk_")
    from userops.store.engine import open_store

    engine = open_store()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash, touchpoint FROM sources")).one()
    assert tuple(stored) == (hash_key(out["write_key"]), "web")
    assert out["write_key"] not in json.dumps([tuple(stored)])
    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert [s["name"] for s in json.loads(listed.stdout)] == ["web-site"]
    assert out["write_key"] not in listed.stdout
    found = authenticate(engine, out["write_key"])
    assert found is not None and found.name == "web-site"
    res = runner.invoke(app, ["sources", "revoke", "web-site", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["revoked_at"] is not None
    assert authenticate(engine, out["write_key"]) is None
    again = runner.invoke(app, ["sources", "revoke", "web-site"])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_bad_names_touchpoints_and_duplicates_are_refused(home: Path) -> None:
    res = runner.invoke(app, ["sources", "add", "Web Site"])
    assert res.exit_code == 1 and "name='Web Site'" in res.output
    res = runner.invoke(app, ["sources", "add", "web", "--touchpoint", "fax"])
    assert res.exit_code == 1 and "touchpoint='fax'" in res.output
    assert runner.invoke(app, ["sources", "add", "web"]).exit_code == 0
    res = runner.invoke(app, ["sources", "add", "web"])
    assert res.exit_code == 1 and "already exists" in res.output
    res = runner.invoke(app, ["sources", "revoke", "nope"])
    assert res.exit_code == 1 and "not found" in res.output
