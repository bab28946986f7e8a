"""Names, regions and contact identifiers of the sample population (vectorized).

Phones and e-mail addresses are unique per person by construction: the digits come from an
affine permutation ``(person * A + B) mod M`` of the person number (injective while there are
fewer persons than ``M``: 8 million for US numbers, 10 million for e-mails).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from userops.cdp.sample.np import I64, OBJ, STR, cat, num
from userops.cdp.sample.text import (
    AU_MOBILE_PREFIXES,
    CN_MOBILE_PREFIXES,
    EN_EMAIL_DOMAINS,
    EN_FIRST,
    EN_LAST,
    SG_MOBILE_PREFIXES,
    UK_MOBILE_PREFIXES,
    US_AREA_CODES,
    ZH_EMAIL_DOMAINS,
    ZH_GIVEN,
    ZH_NICKNAMES,
    ZH_SURNAMES,
    Zone,
)

_A = 2_654_435_761  # prime: coprime with every modulus below
_A_MAIL = 7_368_787  # odd, not a multiple of 5: coprime with 10**7
EN_NICKNAMES = ("WeChat User", "Lucky", "Coco", "J.", "Sunny", "Leo")


def _perm(gidx: I64, seed: int, modulus: int, mult: int = _A) -> I64:
    offset = (seed * 7919 + 12345) % modulus
    return (gidx * (mult % modulus) + offset) % modulus  # < 2**63 while persons < 10**9


def _pick(rng: np.random.Generator, items: tuple[str, ...], n: int) -> OBJ:
    return np.array(items, dtype=object)[rng.integers(0, len(items), size=n)]


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...], n: int) -> OBJ:
    w = np.array([p[1] for p in pairs], dtype=np.float64)
    idx = rng.choice(len(pairs), size=n, p=w / w.sum())
    return np.array([p[0] for p in pairs], dtype=object)[idx]


def names(rng: np.random.Generator, n: int, language: str) -> tuple[OBJ, OBJ, OBJ]:
    """Return full names and the romanized given and family names (for e-mail addresses)."""
    if language == "zh":
        w = np.array([s[2] for s in ZH_SURNAMES])
        si = rng.choice(len(ZH_SURNAMES), size=n, p=w / w.sum())
        g1 = rng.integers(0, len(ZH_GIVEN), size=n)
        g2 = np.where(rng.random(n) < 0.6, rng.integers(0, len(ZH_GIVEN), size=n), -1)
        fam_c = np.array([s[0] for s in ZH_SURNAMES], dtype=object)[si]
        fam_p = np.array([s[1] for s in ZH_SURNAMES], dtype=object)[si]
        chars = np.array([g[0] for g in ZH_GIVEN] + [""], dtype=object)
        pinyin = np.array([g[1] for g in ZH_GIVEN] + [""], dtype=object)
        given_c = chars[g1] + chars[g2]
        given_p = pinyin[g1] + pinyin[g2]
        return fam_c + given_c, given_p, fam_p
    first = _pick(rng, EN_FIRST, n)
    last = _pick(rng, EN_LAST, n)
    full = first + " " + last
    key_first = np.array([f.lower() for f in first.tolist()], dtype=object)
    key_last = np.array([s.lower().replace("'", "") for s in last.tolist()], dtype=object)
    return full, key_first, key_last


def nicknames(rng: np.random.Generator, n: int, language: str) -> OBJ:
    """Return WeChat nicknames (shown instead of a real name on WeChat records)."""
    return _pick(rng, ZH_NICKNAMES if language == "zh" else EN_NICKNAMES, n)


def regions(rng: np.random.Generator, zone: I64, zs: tuple[Zone, ...]) -> OBJ:
    """Draw a region inside each person's zone."""
    out = np.empty(len(zone), dtype=object)
    for z, spec in enumerate(zs):
        mask = zone == z
        out[mask] = _weighted(rng, spec.regions, int(mask.sum()))
    return out


def phones(
    rng: np.random.Generator, gidx: I64, zone: I64, region: OBJ, zs: tuple[Zone, ...], seed: int
) -> OBJ:
    """Return a valid E.164 mobile number per person, in the numbering plan of their zone."""
    plan = np.array([z.phone for z in zs], dtype=object)[zone]
    out = np.empty(len(gidx), dtype=object)
    for kind in ("cn", "us", "uk", "au", "sg"):
        mask = plan == kind
        if mask.any():
            out[mask] = _plan_numbers(rng, kind, gidx[mask], region[mask], seed).astype(object)
    return out


def _plan_numbers(
    rng: np.random.Generator, kind: str, gidx: I64, region: OBJ, seed: int
) -> npt.NDArray[Any]:
    k = len(gidx)
    if kind == "cn":
        u = _perm(gidx, seed, 10**8)
        return cat("+86", _pick(rng, CN_MOBILE_PREFIXES, k), np.strings.zfill(num(u), 8))
    if kind == "us":
        area = np.empty(k, dtype=object)
        for r in np.unique(region).tolist():
            mask = region == r
            area[mask] = _pick(rng, US_AREA_CODES[r], int(mask.sum()))
        u = _perm(gidx, seed, 8_000_000)
        return cat("+1", area, num(200 + u // 10_000), np.strings.zfill(num(u % 10_000), 4))
    if kind == "uk":
        pre = np.array([p[1] for p in UK_MOBILE_PREFIXES], dtype=object)
        u = _perm(gidx, seed, 10**8)
        return cat("+447", pre[rng.integers(0, len(pre), k)], np.strings.zfill(num(u), 8))
    table = AU_MOBILE_PREFIXES if kind == "au" else SG_MOBILE_PREFIXES
    u = _perm(gidx, seed, len(table) * 10**6)
    head = np.array(table, dtype=object)[u // 10**6]
    return cat("+61" if kind == "au" else "+65", head, np.strings.zfill(num(u % 10**6), 6))


def emails(
    rng: np.random.Generator, gidx: I64, given: OBJ, family: OBJ, language: str, seed: int
) -> OBJ:
    """Return a valid, lower-case e-mail address per person."""
    domains = _weighted(rng, ZH_EMAIL_DOMAINS if language == "zh" else EN_EMAIL_DOMAINS, len(gidx))
    u = num(_perm(gidx, seed, 10**7, _A_MAIL))
    sep = "" if language == "zh" else "."
    named = cat(given, sep, family, u, "@", domains)
    qq = cat(num(100_000 + _perm(gidx, seed, 10**7, _A_MAIL)), "@qq.com")
    return np.where(domains == "qq.com", qq, named).astype(object)


def hex_ids(rng: np.random.Generator, n: int, prefix: str) -> OBJ:
    """Return random opaque ids: WeChat-style (``o...``) or device UUIDs (``prefix='dev'``)."""
    if n == 0:
        return np.empty(0, dtype=object)
    width = 32 if prefix == "dev" else 26
    raw = rng.integers(0, 256, size=n * width // 2, dtype=np.uint8).tobytes().hex()
    hexes = np.frombuffer(raw.encode("ascii"), dtype=f"S{width}").astype(STR)
    if prefix != "dev":
        return cat(prefix, hexes).astype(object)
    up = np.strings.upper(hexes)
    parts = [np.strings.slice(up, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return cat(parts[0], "-", parts[1], "-", parts[2], "-", parts[3], "-", parts[4]).astype(object)
