"""User records of the sample population: touchpoints, contact identifiers, consents.

Every person has a primary record; ``SECOND_RECORD_SHARE`` of them also have a record from
another touchpoint that shares at least one identifier with the first (the same phone or
e-mail, the same WeChat unionid across the official account and the mini-program), so
identity resolution has real work. Identifiers are unique per person by construction
(affine permutations of the person number), so no two persons are merged by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from userops.cdp.sample.contacts import (
    emails,
    hex_ids,
    names,
    nicknames,
    phones,
    regions,
)
from userops.cdp.sample.np import I64, OBJ, B
from userops.cdp.sample.people import SOURCES, Persons, zones
from userops.cdp.sample.time import DAY, Calendar
from userops.domain import CHANNELS

PRESENCE: dict[str, tuple[float, float, float, float, float]] = {
    "app": (0.95, 0.30, 0.0, 0.0, 1.0),
    "web": (0.50, 0.92, 0.0, 0.0, 0.0),
    "miniprogram": (0.60, 0.0, 1.0, 0.75, 0.0),
    "wechat": (0.20, 0.0, 1.0, 0.75, 0.0),
    "store": (0.92, 0.10, 0.0, 0.0, 0.0),
}
"""P(phone, email, wechat_openid, wechat_unionid, device_id) on a record of each source."""
KINDS = ("phone", "email", "wechat_openid", "wechat_unionid", "device_id")
PREFIX = {"app": "u", "web": "w", "miniprogram": "m", "wechat": "x", "store": "s"}
"""First letter of the external id per source (``u00000001``, ``w00000001-2``)."""
DNC_SHARE = 0.02


@dataclass
class Records:
    """One chunk of user records (person-major: primary, then the second record if any)."""

    ids: I64
    """``users.id`` of each record."""
    person: I64
    """Local index of the record's person."""
    source: I64
    """Index into ``SOURCES``."""
    created_ts: I64
    """Creation time, epoch seconds."""
    contact: dict[str, OBJ]
    """Identifier values per kind (``None`` where absent)."""
    present: dict[str, B]
    """Per kind, the records that carry an identifier of that kind."""
    name: OBJ
    """Display name (or a WeChat nickname)."""
    region: OBJ
    """Region of the record's person."""
    dnc: B
    """Do-not-contact flag."""
    prim: I64
    """Per person: local index of the primary record."""
    sec: I64
    """Per person: local index of the second record, -1 when there is none."""

    @property
    def n(self) -> int:
        """Number of records in the chunk."""
        return len(self.ids)

    def has(self, kind: str) -> B:
        """Mask of records that carry an identifier of ``kind``."""
        return self.present[kind]


def make_records(
    rng: np.random.Generator, ps: Persons, first_id: int, cal: Calendar, language: str, seed: int
) -> Records:
    """Build the records of the persons ``ps``; ids are numbered from ``first_id``."""
    n = ps.n
    count = 1 + (ps.second >= 0)
    prim = np.cumsum(count) - count
    sec = np.where(ps.second >= 0, prim + 1, -1)
    m = int(count.sum())
    person = np.repeat(np.arange(n), count)
    is_sec = np.zeros(m, dtype=bool)
    is_sec[sec[sec >= 0]] = True
    source = np.where(is_sec, ps.second[person], ps.source[person])
    created_t = np.where(is_sec, ps.second_t[person], ps.signup_t[person])
    created_ts = (cal.start_ts + created_t * DAY).astype(np.int64)
    src_names = np.array(SOURCES)[source]
    present: dict[str, B] = {}
    for k, kind in enumerate(KINDS):
        p = np.array([PRESENCE[s][k] for s in SOURCES])[source]
        present[kind] = rng.random(m) < p
    _ensure_reachable_and_linked(present, src_names, sec, ps)
    per_person = _person_values(rng, ps, language, seed)
    contact: dict[str, OBJ] = {}
    for kind in KINDS:
        values = np.full(m, None, dtype=object)
        have = present[kind]
        if kind in per_person:
            values[have] = per_person[kind][person[have]]
        else:
            values[have] = hex_ids(rng, int(have.sum()), "o")
        contact[kind] = values
    display = per_person["name"][person].copy()
    wx = np.isin(src_names, ("wechat", "miniprogram")) & (rng.random(m) < 0.35)
    display[wx] = nicknames(rng, int(wx.sum()), language)
    return Records(
        ids=np.arange(first_id, first_id + m, dtype=np.int64),
        person=person,
        source=source,
        created_ts=created_ts,
        contact=contact,
        present=present,
        name=display,
        region=per_person["region"][person],
        dnc=rng.random(m) < DNC_SHARE,
        prim=prim,
        sec=sec,
    )


def _ensure_reachable_and_linked(present: dict[str, B], src: Any, sec: I64, ps: Persons) -> None:
    """Give every record an identifier and every second record a shared one."""
    none = ~(present["phone"] | present["email"] | present["wechat_openid"] | present["device_id"])
    present["email"] |= none & (src == "web")
    present["phone"] |= none & (src != "web")
    has2 = sec >= 0
    a = (sec - 1)[has2]  # the primary record sits right before the second one
    b = sec[has2]
    shared = np.zeros(len(a), dtype=bool)
    for kind in ("phone", "email", "wechat_unionid", "device_id"):
        shared |= present[kind][a] & present[kind][b]
    wx = np.isin(src[a], ("wechat", "miniprogram")) & np.isin(src[b], ("wechat", "miniprogram"))
    fix_u = ~shared & wx
    fix_p = ~shared & ~wx
    for kind, fix in (("wechat_unionid", fix_u), ("phone", fix_p)):
        present[kind][a[fix]] = True
        present[kind][b[fix]] = True


def _person_values(
    rng: np.random.Generator, ps: Persons, language: str, seed: int
) -> dict[str, OBJ]:
    """Identifiers and names that belong to the person (shared by their records)."""
    zs = zones(language)
    region = regions(rng, ps.zone, zs)
    full, given_key, family_key = names(rng, ps.n, language)
    return {
        "name": full,
        "region": region,
        "phone": phones(rng, ps.gidx, ps.zone, region, zs, seed),
        "email": emails(rng, ps.gidx, given_key, family_key, language, seed),
        "wechat_unionid": hex_ids(rng, ps.n, "oU"),
        "device_id": hex_ids(rng, ps.n, "dev"),
    }


def consent_matrix(rng: np.random.Generator, recs: Records, as_of_ts: int) -> tuple[I64, I64, I64]:
    """Draw per (record, channel) consent: status (0 none, 1 granted, 2 withdrawn) and times.

    Returns ``(status, granted_ts, withdrawn_ts)``, each shaped ``(records, channels)``;
    a withdrawn consent was granted first (the history campaigns honour both times).
    """
    m = recs.n
    src = np.array(SOURCES)[recs.source]
    status = np.zeros((m, len(CHANNELS)), dtype=np.int64)
    for ch, (grant, withdraw, mask) in _consent_rules(recs, src).items():
        j = CHANNELS.index(ch)
        u = rng.random(m)
        status[:, j] = np.where(
            mask & (u < grant), 1, np.where(mask & (u < grant + withdraw), 2, 0)
        )
    shape = status.shape
    created = recs.created_ts[:, None]
    delay = (rng.exponential(3.0, size=shape) * DAY).astype(np.int64)
    granted = np.minimum(created + delay, as_of_ts - 2)
    later = rng.random(shape) * (as_of_ts - 1 - granted)
    withdrawn = granted + 1 + later.astype(np.int64)
    return status, granted, withdrawn


def _consent_rules(recs: Records, src: Any) -> dict[str, tuple[float, float, Any]]:
    phone, email, openid = recs.has("phone"), recs.has("email"), recs.has("wechat_openid")
    union = recs.has("wechat_unionid")
    return {
        "sms": (0.62, 0.08, phone),
        "email": (0.45, 0.10, email),
        "app_push": (0.55, 0.10, recs.has("device_id")),
        "wechat_template": (0.70, 0.08, openid & (src == "wechat")),
        "miniprogram": (0.55, 0.08, openid & (src == "miniprogram")),
        "wecom": (0.22, 0.04, union | openid),
        "voice_call": (0.25, 0.05, phone),
    }
