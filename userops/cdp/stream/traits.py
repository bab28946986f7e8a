"""``identify`` traits onto record columns and identities; consents from traits and context.

Record columns (validated as the file importer does):

========================  ===============================================================
column                    from
========================  ===============================================================
``name``                  ``traits.name``, else ``traits.firstName`` + ``traits.lastName``
``email``                 ``traits.email``
``phone``                 ``traits.phone`` (national numbers read as Chinese)
``wechat_openid``         ``traits.wechat_openid`` or ``traits.openid``
``wechat_unionid``        ``traits.wechat_unionid`` or ``traits.unionid``
``device_id``             ``context.device.id``
``timezone``              ``context.timezone``, else ``traits.timezone``
``language``              ``context.locale``, else ``traits.language`` (``zh``/``en`` only)
``region``                ``traits.region``, else ``traits.address.city``
``created_ts``            ``traits.createdAt``
========================  ===============================================================

Other traits are kept in ``users.attributes["traits"]`` (merged, newest wins per key).

Consents (per channel, ``granted`` or ``withdrawn``): ``traits.consent_<channel>`` (true,
false, ``granted``, ``withdrawn``); ``traits.email_subscribe`` / ``push_subscribe`` /
``sms_subscribe`` (``opted_in`` or ``subscribed`` → granted, ``unsubscribed`` → withdrawn);
and Segment's ``context.consent.categoryPreferences`` whose category ids name a channel
(``sms``, ``email``, ``push``/``app_push``, ``wechat``...; other categories are cookie
categories and are ignored). Traits win over the context for the same channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from userops.cdp.ingest import validate as v
from userops.cdp.stream.context import language_of
from userops.cdp.stream.fields import Bad, iso
from userops.cdp.stream.spec import Message
from userops.domain import CHANNELS

IDENTITY_COLUMNS = ("phone", "email", "wechat_openid", "wechat_unionid", "device_id")
"""Record columns that are also identities (identity resolution merges on them)."""
ANONYMOUS_ID = "anonymous_id"
"""Identity kind linking a record to a Segment ``anonymousId`` (see :mod:`.identify`)."""
USER_ID = "user_id"
"""Identity kind linking records that an ``alias`` names (a previous ``userId``)."""
_MAPPED = frozenset(
    {"name", "firstName", "lastName", "email", "phone", "wechat_openid", "openid"}
    | {"wechat_unionid", "unionid", "timezone", "language", "region", "createdAt"}
)
_SUBSCRIBE = {"email_subscribe": "email", "push_subscribe": "app_push", "sms_subscribe": "sms"}
_SUBSCRIBED = {"opted_in": "granted", "subscribed": "granted", "unsubscribed": "withdrawn"}
CATEGORY_CHANNELS: dict[str, str] = {c: c for c in CHANNELS} | {
    "push": "app_push",
    "wechat": "wechat_template",
    "mini_program": "miniprogram",
    "call": "voice_call",
    "voice": "voice_call",
}
"""``context.consent.categoryPreferences`` ids (lower-cased) that name a channel."""
_name = v.text(200)
_openid = v.text(128)
_region = v.text(64)


@dataclass
class Profile:
    """What one identify message changes on its record."""

    columns: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """Traits with no column (kept in ``users.attributes["traits"]``)."""
    consents: dict[str, str] = field(default_factory=dict)
    """channel -> ``granted`` or ``withdrawn``."""


def profile(msg: Message) -> Profile:
    """Map an identify message; raises :class:`Bad` naming the first invalid trait."""
    t = msg.traits
    out = Profile(consents=consents(msg))
    cols = out.columns
    name = t.get("name")
    if name is None and (t.get("firstName") or t.get("lastName")):
        name = " ".join(str(t.get(k) or "") for k in ("firstName", "lastName")).strip()
    _put(cols, "name", _name, name, msg, "traits.name")
    _put(cols, "email", v.email, t.get("email"), msg, "traits.email")
    _put(cols, "phone", v.phone, t.get("phone"), msg, "traits.phone")
    for col, alt in (("wechat_openid", "openid"), ("wechat_unionid", "unionid")):
        where = col if t.get(col) is not None else alt
        _put(cols, col, _openid, t.get(where), msg, f"traits.{where}")
    device = msg.context.get("device")
    if isinstance(device, dict) and device.get("id") not in (None, ""):
        cols["device_id"] = str(device["id"])
    tz_where = "context.timezone" if msg.context.get("timezone") else "traits.timezone"
    tz = msg.context.get("timezone") or t.get("timezone")
    _put(cols, "timezone", v.timezone, tz, msg, tz_where)
    lang = language_of(msg.context)
    if lang is None and isinstance(t.get("language"), str):
        base = t["language"].lower().replace("_", "-").split("-")[0]
        lang = base if base in ("zh", "en") else None
    if lang is not None:
        cols["language"] = lang
    region = t.get("region")
    where = "traits.region"
    address = t.get("address")
    if region is None and isinstance(address, dict):
        region, where = address.get("city"), "traits.address.city"
    _put(cols, "region", _region, region, msg, where)
    created = t.get("createdAt")
    if created is not None and created != "":
        cols["created_ts"] = _created(created, msg)
    out.extra = {
        k: val
        for k, val in t.items()
        if k not in _MAPPED and k not in _SUBSCRIBE and not k.startswith("consent_")
    }
    return out


def consents(msg: Message) -> dict[str, str]:
    """Consents a message carries (traits and ``context.consent``); raises :class:`Bad`."""
    out: dict[str, str] = {}
    consent = msg.context.get("consent")
    if consent is not None:
        prefs = consent.get("categoryPreferences") if isinstance(consent, dict) else None
        if not isinstance(prefs, dict):
            where = msg.path("context.consent.categoryPreferences")
            raise Bad(where, "must be a JSON object of category ids to true/false", prefs)
        for category, granted in prefs.items():
            channel = CATEGORY_CHANNELS.get(str(category).lower())
            if channel is None:
                continue
            if type(granted) is not bool:
                where = msg.path(f"context.consent.categoryPreferences.{category}")
                raise Bad(where, "must be true or false", granted)
            out[channel] = "granted" if granted else "withdrawn"
    for key, raw in msg.traits.items():
        if key.startswith("consent_"):
            channel = key.removeprefix("consent_")
            if channel not in CHANNELS:
                reason = f"unknown channel; expected consent_ and one of {', '.join(CHANNELS)}"
                raise Bad(msg.path(f"traits.{key}"), reason, raw)
            out[channel] = _status(raw, msg, key)
        elif key in _SUBSCRIBE:
            status = _SUBSCRIBED.get(raw) if isinstance(raw, str) else None
            if status is None:
                reason = "must be opted_in, subscribed or unsubscribed"
                raise Bad(msg.path(f"traits.{key}"), reason, raw)
            out[_SUBSCRIBE[key]] = status
    return out


def _status(raw: Any, msg: Message, key: str) -> str:
    if raw is True or raw == "granted":
        return "granted"
    if raw is False or raw == "withdrawn":
        return "withdrawn"
    raise Bad(msg.path(f"traits.{key}"), "must be true, false, granted or withdrawn", raw)


def _created(raw: Any, msg: Message) -> int:
    where = msg.path("traits.createdAt")
    if isinstance(raw, str):
        ts = iso(raw, where)
    else:
        try:
            ts = float(v.timestamp(raw))
        except ValueError as exc:
            raise Bad(where, str(exc), raw) from None
    if not 0 <= ts < v.MAX_TS:
        raise Bad(where, "time out of range (1970..2100)", raw)
    return int(ts)


def _put(cols: dict[str, Any], col: str, check: Any, raw: Any, msg: Message, where: str) -> None:
    if raw is None or raw == "":
        return
    try:
        cols[col] = check(raw)
    except ValueError as exc:
        raise Bad(msg.path(where), str(exc), raw) from None
