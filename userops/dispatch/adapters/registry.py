"""Build the channel adapters the worker uses from a channel config.

Every channel gets the sandbox unless the config names a real provider for it::

    channels:
      sms:
        provider: aliyun_sms
        access_key_id: env:ALIYUN_ACCESS_KEY_ID      # "env:NAME" reads the environment
        access_key_secret: env:ALIYUN_ACCESS_KEY_SECRET
        sign_name: 优选
        template_code: SMS_123
      app_push: {provider: fcm, project_id: my-app, access_token: env:FCM_TOKEN}

Keys are the adapter's constructor arguments (see docs/channels.md); unknown or missing
keys, unknown providers or channels, and unset environment variables are refused with
``BadInput`` naming the field (``channels.sms.sign_name``) before anything is built.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from userops.dispatch.adapters.aliyun_sms import AliyunSmsAdapter
from userops.dispatch.adapters.base import ChannelAdapter
from userops.dispatch.adapters.fcm import FcmAdapter, TokenProvider, static_token
from userops.dispatch.adapters.smtp import SmtpAdapter
from userops.dispatch.adapters.voice_call import VoiceCallAdapter
from userops.dispatch.adapters.webhook import WebhookAdapter
from userops.dispatch.adapters.wechat_template import (
    MiniprogramSubscribeAdapter,
    WechatTemplateAdapter,
)
from userops.dispatch.adapters.wecom import WecomAdapter
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.domain import CHANNELS
from userops.errors import BadInput, Problem

PROVIDERS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "aliyun_sms": (AliyunSmsAdapter, ("sms",)),
    "smtp": (SmtpAdapter, ("email",)),
    "fcm": (FcmAdapter, ("app_push",)),
    "wechat_template": (WechatTemplateAdapter, ("wechat_template",)),
    "miniprogram_subscribe": (MiniprogramSubscribeAdapter, ("miniprogram",)),
    "wecom": (WecomAdapter, ("wecom",)),
    "voice_call": (VoiceCallAdapter, ("voice_call",)),
    "webhook": (WebhookAdapter, ("webhook",)),
}
"""Provider name → adapter class and the channels it can serve."""


def load_channel_config(path: str | Path) -> dict[str, Any]:
    """Read a channel config YAML file (``BadInput`` naming the file when unreadable)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput.one(f"cannot read channel config: {exc}", source=str(path)) from exc
    if not isinstance(data, dict):
        raise BadInput.one("channel config must be a mapping", source=str(path))
    return data


class _Problems(list[Problem]):
    """Located problems of one config source."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def add(self, reason: str, field: str, value: Any = None) -> None:
        self.append(Problem(reason, field, value, self.source))


def _resolve(value: Any, where: str, problems: _Problems) -> Any:
    if isinstance(value, str) and value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            problems.add(f"environment variable {name} is not set", where, value)
            return None
        return os.environ[name]
    return value


def _kwargs(
    cls: type[Any], spec: dict[str, Any], where: str, problems: _Problems
) -> dict[str, Any]:
    params = inspect.signature(cls.__init__).parameters
    allowed = {n for n in params if n != "self"} - {"token_provider"}
    if cls is FcmAdapter:
        allowed.add("access_token")
    required = {n for n in allowed if n in params and params[n].default is inspect.Parameter.empty}
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "provider":
            continue
        if key not in allowed:
            problems.add(f"unknown key; expected one of {sorted(allowed)}", f"{where}.{key}", value)
            continue
        out[key] = _resolve(value, f"{where}.{key}", problems)
    for key in sorted(required - set(out)):
        problems.add("required", f"{where}.{key}")
    return out


def _one(
    channel: str,
    spec: Any,
    problems: _Problems,
    tokens: dict[str, TokenProvider],
) -> tuple[type[Any], dict[str, Any]] | None:
    where = f"channels.{channel}"
    if channel not in CHANNELS:
        problems.add(f"unknown channel; expected one of {list(CHANNELS)}", where, channel)
        return None
    if not isinstance(spec, dict):
        problems.add("expected a mapping", where, spec)
        return None
    provider = spec.get("provider", "sandbox")
    if provider == "sandbox":
        return None
    if provider not in PROVIDERS:
        problems.add(
            f"unknown provider; expected one of {['sandbox', *PROVIDERS]}",
            f"{where}.provider",
            provider,
        )
        return None
    cls, serves = PROVIDERS[provider]
    if channel not in serves:
        problems.add(f"{provider} serves {list(serves)}", f"{where}.provider", provider)
        return None
    kwargs = _kwargs(cls, spec, where, problems)
    if cls is FcmAdapter:
        token = kwargs.pop("access_token", None)
        injected = tokens.get(channel)
        if injected is None and not token:
            problems.add("required (or inject a token provider)", f"{where}.access_token")
        kwargs["token_provider"] = injected or static_token(str(token))
    return cls, kwargs


def build_adapters(
    config: dict[str, Any] | None,
    engine: Engine,
    *,
    policy: Policy | None = None,
    token_providers: dict[str, TokenProvider] | None = None,
    source: str = "channels",
) -> dict[str, ChannelAdapter]:
    """One adapter per channel: the sandbox, or the real provider the config names.

    ``token_providers`` injects OAuth token providers by channel (FCM's service-account
    tokens) instead of a static ``access_token`` in the config. A real adapter's
    ``cost_per_message`` defaults to the policy's cost for its channel.

    Raises:
        BadInput: the config names an unknown channel/provider or a bad/missing key.
    """
    costs = (policy or Policy.load()).costs
    adapters: dict[str, ChannelAdapter] = {
        ch: SandboxAdapter(engine, ch, cost_per_message=costs.get(ch, 0.0)) for ch in CHANNELS
    }
    channels = (config or {}).get("channels") or {}
    if not isinstance(channels, dict):
        raise BadInput.one("expected a mapping", field="channels", value=channels, source=source)
    problems = _Problems(source)
    built = {ch: _one(ch, spec, problems, token_providers or {}) for ch, spec in channels.items()}
    if problems:
        raise BadInput(list(problems))
    for channel, got in built.items():
        if got is not None:
            cls, kwargs = got
            kwargs.setdefault("cost_per_message", costs.get(channel, 0.0))
            adapters[channel] = cls(**kwargs)
    return adapters
