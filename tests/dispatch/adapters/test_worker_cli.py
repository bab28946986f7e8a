"""`userops worker run --channel-config`: real providers from a file, bad files named."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.dispatch.factory import add_users, step
from tests.fakes.aliyun import FakeAliyunSms
from userops.cli.main import app
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy

runner = CliRunner()


def test_worker_sends_through_the_configured_provider(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    users = add_users(sqlite_engine, 3, consent=("sms",))
    no_quiet = Policy.with_overrides({"quiet_hours": None})
    enqueue(sqlite_engine, step(users), policy=no_quiet)
    pol = tmp_path / "policy.yaml"
    pol.write_text("quiet_hours: null\n")
    fake = FakeAliyunSms().start()
    try:
        cfg = tmp_path / "channels.yaml"
        cfg.write_text(
            f"channels:\n  sms: {{provider: aliyun_sms, endpoint: '{fake.url}',"
            f" access_key_id: {fake.key_id}, access_key_secret: {fake.secret},"
            " sign_name: 优选, template_code: SMS_1}\n",
            encoding="utf-8",
        )
        args = ["worker", "run", "--until-idle", "--policy", str(pol), "--json"]
        res = runner.invoke(app, [*args, "--channel-config", str(cfg)])
    finally:
        fake.stop()
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sent"] == 3
    assert len(fake.delivered) == 3 and len(set(fake.delivered)) == 3


def test_bad_channel_config_is_refused_with_the_field(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    cfg = tmp_path / "channels.yaml"
    cfg.write_text("channels:\n  sms: {provider: aliyun_sms, sign_name: x}\n", encoding="utf-8")
    res = runner.invoke(app, ["worker", "run", "--until-idle", "--channel-config", str(cfg)])
    assert res.exit_code != 0
    assert "channels.sms.access_key_id=None: required" in res.output
