"""`userops journeys` and the journeys inside `userops worker run`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.dispatch.factory import add_users
from tests.journeys.support import add_event, rows, spec
from userops.cli.main import app

cli = CliRunner()


def _ok(*args: str) -> dict[str, object]:
    res = cli.invoke(app, ["journeys", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_create_approve_run_show_pause_resume_stop(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_users(sqlite_engine, 3, consent=("sms",))
    path = tmp_path / "welcome.json"
    path.write_text(json.dumps(spec()), encoding="utf-8")
    assert _ok("check", str(path))["valid"] is True
    jid = str(_ok("create", str(path), "--as", "ops")["id"])
    res = cli.invoke(app, ["journeys", "approve", jid, "--as", "ops"])
    assert res.exit_code == 1 and "may not approve it" in res.output
    assert _ok("approve", jid, "--as", "boss")["state"] == "running"
    add_event(sqlite_engine, 1, int(time.time()))
    pol = tmp_path / "policy.yaml"
    pol.write_text("quiet_hours: null\n")
    res = cli.invoke(app, ["worker", "run", "--until-idle", "--policy", str(pol), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sent"] == 1  # entered, enqueued and sent by one worker
    listed = _ok("list")
    assert isinstance(listed, list)
    assert [(j["id"], j["state"], j["active_members"]) for j in listed] == [(jid, "running", 1)]
    shown = _ok("show", jid)
    hello = shown["versions"][0]["nodes"]["hello"]  # type: ignore[index]
    assert (hello["entered"], hello["sent"]) == (1, 1)
    assert shown["versions"][0]["nodes"]["wait1"]["waiting"] == 1  # type: ignore[index]
    assert _ok("pause", jid, "--as", "ops")["state"] == "paused"
    assert _ok("resume", jid, "--as", "ops")["state"] == "running"
    assert _ok("stop", jid, "--as", "ops")["exited"] == 1
    res = cli.invoke(app, ["journeys", "resume", jid])
    assert res.exit_code == 1 and "is stopped" in res.output
    audit = rows(sqlite_engine, "SELECT action FROM audit WHERE entity_type = 'journey'")
    assert [a[0] for a in audit][-3:] == ["journey.pause", "journey.resume", "journey.stop"]


def test_a_bad_spec_file_is_refused_with_its_path_and_nothing_is_stored(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    bad = spec()
    bad["nodes"][1]["next"] = "nowhere"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    res = cli.invoke(app, ["journeys", "create", str(path), "--as", "ops"])
    assert res.exit_code == 1
    assert f"{path} nodes[1].next='nowhere': no such node; valid nodes: hello," in res.output
    assert "Traceback" not in res.output
    assert rows(sqlite_engine, "SELECT count(*) FROM journeys") == [(0,)]
    res = cli.invoke(app, ["journeys", "show", "nope"])
    assert res.exit_code == 1 and "no journey 'nope'" in res.output
