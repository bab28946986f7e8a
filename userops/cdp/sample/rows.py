"""Insertable rows of users, identities and consents built from a generated chunk."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from userops.cdp.sample.np import F64, I64, Columns, cat, num
from userops.cdp.sample.people import CONTENT, SOURCES, Persons, zones
from userops.cdp.sample.records import KINDS, PREFIX, Records
from userops.domain import CHANNELS

USER_COLUMNS = (
    "id", "external_id", "name", "phone", "email", "wechat_openid", "wechat_unionid",
    "device_id", "timezone", "language", "region", "source", "created_ts", "do_not_contact",
    "attributes",
)  # fmt: skip
CONSENT_COLUMNS = ("user_id", "channel", "status", "source", "ts")
CONSENT_SOURCE = {
    "sms": "signup_form", "email": "signup_form", "app_push": "app_prompt",
    "wechat_template": "wechat_follow", "miniprogram": "subscribe_prompt",
    "wecom": "wecom_add", "voice_call": "signup_form", "webhook": "api",
}  # fmt: skip
"""Where a granted consent was collected; withdrawals come from ``unsubscribe``."""


def _p3(x: F64) -> npt.NDArray[Any]:
    return num(np.round(x, 3))


def attributes_json(ps: Persons) -> npt.NDArray[Any]:
    """The hidden simulation truth of each person as JSON text (see CONTRACTS)."""
    parts: list[Any] = ['{"persona":"', np.array(CONTENT, dtype=object)[ps.persona]]
    parts.append('","propensity":{"channel":{')
    for j, c in enumerate(CHANNELS):
        parts += [f'"{c}":' if j == 0 else f',"{c}":', _p3(ps.p_channel[:, j])]
    parts.append('},"content":{')
    for j, c in enumerate(CONTENT):
        parts += [f'"{c}":' if j == 0 else f',"{c}":', _p3(ps.p_content[:, j])]
    parts += ['}},"base_conversion":', _p3(ps.base_conversion), "}"]
    return cat(*parts)


def user_rows(ps: Persons, recs: Records, language: str) -> Columns:
    """Columns of ``users`` (``USER_COLUMNS``)."""
    tz = np.array([z.tz for z in zones(language)], dtype=object)[ps.zone[recs.person]]
    src = np.array(SOURCES, dtype=object)[recs.source]
    prefix = np.array([PREFIX[s] for s in SOURCES], dtype=object)[recs.source]
    second = np.zeros(recs.n, dtype=bool)
    second[recs.sec[recs.sec >= 0]] = True
    number = np.strings.zfill(num(ps.gidx[recs.person] + 1), 8)
    ext = cat(prefix, number, np.where(second, "-2", ""))
    attrs = attributes_json(ps)[recs.person]
    c = recs.contact
    return [
        recs.ids.tolist(),
        ext.tolist(),
        recs.name.tolist(),
        c["phone"].tolist(),
        c["email"].tolist(),
        c["wechat_openid"].tolist(),
        c["wechat_unionid"].tolist(),
        c["device_id"].tolist(),
        tz.tolist(),
        [language] * recs.n,
        recs.region.tolist(),
        src.tolist(),
        recs.created_ts.tolist(),
        recs.dnc.tolist(),
        attrs.tolist(),
    ]


def identity_inserts() -> list[str]:
    """SQL that copies every record's identifiers from ``users`` into ``identities``.

    Run once after the users are loaded: the database copies and sorts them itself (no
    per-row Python), in the order of the unique ``(kind, value, user_id)`` index.
    """
    return [
        f"INSERT INTO identities (user_id, kind, value, source) "
        f"SELECT id, '{kind}', {kind}, source FROM users WHERE {kind} IS NOT NULL "
        f"ORDER BY {kind}, id"
        for kind in sorted(KINDS)
    ]


def consent_rows(recs: Records, consent: tuple[I64, I64, I64]) -> Columns:
    """Columns of ``consents`` (``CONSENT_COLUMNS``): the current state where one was recorded."""
    status, granted, withdrawn = consent
    rec, ch = np.nonzero(status)
    st = status[rec, ch]
    ts = np.where(st == 1, granted[rec, ch], withdrawn[rec, ch])
    names = np.array(CHANNELS, dtype=object)[ch]
    src = np.where(
        st == 1, np.array([CONSENT_SOURCE[c] for c in CHANNELS], dtype=object)[ch], "unsubscribe"
    )
    label = np.where(st == 1, "granted", "withdrawn")
    return [
        recs.ids[rec].tolist(),
        names.tolist(),
        label.tolist(),
        src.tolist(),
        ts.tolist(),
    ]
