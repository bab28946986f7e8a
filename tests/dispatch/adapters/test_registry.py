"""Channel config → adapters: sandbox by default, real providers where named, errors located."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.dispatch.adapters.pipeline import drain, enqueue_step, rows
from tests.dispatch.factory import push
from tests.fakes.fcm import FakeFcm
from userops.dispatch.adapters.aliyun_sms import AliyunSmsAdapter
from userops.dispatch.adapters.fcm import FcmAdapter
from userops.dispatch.adapters.registry import build_adapters, load_channel_config
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.domain import CHANNELS
from userops.errors import BadInput


def test_sandbox_everywhere_by_default(sqlite_engine: Engine) -> None:
    adapters = build_adapters(None, sqlite_engine)
    assert set(adapters) == set(CHANNELS)
    assert all(isinstance(a, SandboxAdapter) for a in adapters.values())
    assert adapters["sms"].capabilities.cost_per_message == Policy.load().costs["sms"]


def test_real_providers_from_yaml_with_env_secrets(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_ALIYUN_SK", "sk-from-env")
    path = tmp_path / "channels.yaml"
    path.write_text(
        "channels:\n"
        "  sms: {provider: aliyun_sms, access_key_id: ak, access_key_secret: 'env:T_ALIYUN_SK',"
        " sign_name: 优选, template_code: SMS_1, rate_per_second: 5}\n"
        "  app_push: {provider: fcm, project_id: demo, access_token: tok}\n"
        "  email: {provider: sandbox}\n",
        encoding="utf-8",
    )
    adapters = build_adapters(load_channel_config(path), sqlite_engine)
    sms = adapters["sms"]
    assert isinstance(sms, AliyunSmsAdapter) and sms.access_key_secret == "sk-from-env"
    assert sms.capabilities.rate_per_second == 5 and sms.capabilities.cost_per_message == 0.05
    assert isinstance(adapters["app_push"], FcmAdapter)
    assert isinstance(adapters["email"], SandboxAdapter)


def test_every_problem_is_named(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_MISSING", raising=False)
    config = {
        "channels": {
            "fax": {"provider": "smtp"},
            "sms": {"provider": "fcm", "project_id": "x"},
            "email": {"provider": "smtp", "host": "h", "sender": "s@x", "colour": "red"},
            "webhook": {"provider": "webhook", "secret": "env:T_MISSING"},
            "app_push": {"provider": "fcm", "project_id": "x"},
            "wecom": {"provider": "pigeon"},
        }
    }
    with pytest.raises(BadInput) as err:
        build_adapters(config, sqlite_engine, source="ch.yaml")
    text = str(err.value)
    for where in (
        "channels.fax='fax': unknown channel",
        "channels.sms.provider='fcm': fcm serves ['app_push']",
        "channels.email.colour='red': unknown key",
        "channels.webhook.secret='env:T_MISSING': environment variable T_MISSING is not set",
        "channels.webhook.url=None: required",
        "channels.app_push.access_token=None: required",
        "channels.wecom.provider='pigeon': unknown provider",
    ):
        assert where in text
    assert text.startswith("ch.yaml ")


def test_bad_yaml_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("channels: [unclosed", encoding="utf-8")
    with pytest.raises(BadInput, match="bad.yaml"):
        load_channel_config(path)


def test_configured_push_reaches_the_fake_through_the_worker(sqlite_engine: Engine) -> None:
    fake = FakeFcm().start()
    try:
        config = {
            "channels": {
                "app_push": {
                    "provider": "fcm",
                    "project_id": "demo",
                    "endpoint": fake.url,
                    "access_token": "tok-1",
                }
            }
        }
        adapters = build_adapters(config, sqlite_engine)
        users = enqueue_step(sqlite_engine, 3, "app_push", push())
        drain(sqlite_engine, adapters)
    finally:
        fake.stop()
    assert {rows(sqlite_engine)[u][0] for u in users} == {"sent"}
    assert len(fake.delivered) == 3 and len(set(fake.delivered)) == 3
