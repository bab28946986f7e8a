"""Field validators for imported rows: each returns the normalized value or raises ValueError.

Validators accept what a CSV cell (a string) or a JSONL value (string, number, object) holds.
The common cases take a precompiled fast path (Chinese mobile numbers, plain ASCII e-mail
addresses); everything else goes through ``phonenumbers`` and ``email-validator``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from userops.domain import CHANNELS, EVENT_TYPES, Source

Validator = Callable[[Any], Any]
"""A function from a raw cell to its normalized value; raises ``ValueError(reason)``."""

DEFAULT_PHONE_REGION = "CN"
MAX_TS = 4_102_444_800  # 2100-01-01T00:00:00Z
_CN_MOBILE = re.compile(r"(?:\+86|0086|86)?[ -]?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})")
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_FAST = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-z]{{2,63}}")
"""Plain ASCII addresses :func:`email` accepts without ``email-validator`` (see there)."""
SPECIAL_USE_DOMAINS = tuple(SPECIAL_USE_DOMAIN_NAMES)
_EPOCH = re.compile(r"\d{1,13}(?:\.\d+)?")


def text(max_len: int) -> Validator:
    """Return a validator for a free string of at most ``max_len`` characters."""

    def check(raw: Any) -> str:
        if type(raw) is str:
            value = raw.strip()
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = str(raw)
        else:
            raise ValueError("must be a string")
        if len(value) > max_len:
            raise ValueError(f"longer than {max_len} characters")
        return value

    return check


def phone(raw: Any) -> str:
    """Normalize a phone number to E.164 (national numbers are read as Chinese)."""
    if not isinstance(raw, str | int):
        raise ValueError("must be a string")
    value = str(raw).strip()
    m = _CN_MOBILE.fullmatch(value)
    if m is not None:
        return "+86" + "".join(m.groups())
    return _phone_slow(value)


@lru_cache(maxsize=65536)
def _phone_slow(value: str) -> str:
    try:
        num = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(num):
        raise ValueError("not a valid phone number")
    return str(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))


def email(raw: Any) -> str:
    """Validate an e-mail address (syntax only, no DNS) and return it lower-cased."""
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    value = raw.strip().lower()
    if (
        len(value) <= 254
        and EMAIL_FAST.fullmatch(value)
        and len(value.partition("@")[0]) <= 64
        and not value.endswith(SPECIAL_USE_DOMAINS)
    ):
        return value
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address ({exc})") from None
    return str(info.normalized).lower()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def timezone(raw: Any) -> str:
    """Check an IANA time zone name such as ``Asia/Shanghai``."""
    if type(raw) is str and raw in _zones():
        return raw
    if not isinstance(raw, str) or raw.strip() not in _zones():
        raise ValueError("not an IANA time zone (e.g. Asia/Shanghai)")
    return raw.strip()


def language(raw: Any) -> str:
    """Normalize a language tag to ``zh`` or ``en`` (``zh-CN``, ``en_US`` accepted)."""
    if raw == "zh" or raw == "en":
        return str(raw)
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    base = raw.strip().lower().replace("_", "-").split("-")[0]
    if base not in ("zh", "en"):
        raise ValueError("language must be zh or en")
    return base


def timestamp(raw: Any) -> int:
    """Parse ISO-8601 (naive = UTC) or epoch seconds (milliseconds above 1e11) to epoch s."""
    if isinstance(raw, bool):
        raise ValueError("not a timestamp")
    if isinstance(raw, int | float):
        ts = float(raw)
    elif isinstance(raw, str):
        value = raw.strip()
        if "-" not in value and _EPOCH.fullmatch(value):  # dates and negatives are not epochs
            ts = float(value)
        else:
            ts = _iso(value)
    else:
        raise ValueError("not a timestamp")
    if ts > 1e11:
        ts /= 1000.0
    if not 0 <= ts < MAX_TS:
        raise ValueError("timestamp out of range (1970..2100)")
    return int(ts)


def _iso(value: str) -> float:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 date/time or epoch seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def choice(allowed: tuple[str, ...], what: str) -> Validator:
    """Return a validator accepting one of ``allowed`` (case-insensitive)."""
    options = frozenset(allowed)
    listing = ", ".join(allowed)

    def check(raw: Any) -> str:
        value = str(raw).strip().lower() if isinstance(raw, str) else raw
        if value not in options:
            raise ValueError(f"unknown {what}; expected one of: {listing}")
        return str(value)

    return check


channel = choice(CHANNELS, "channel")
event_type = choice(EVENT_TYPES, "event type")
source = choice(tuple(s.value for s in Source), "source")
consent_status = choice(("granted", "withdrawn"), "consent status")


AMOUNT_LIMIT = 1e15
"""Amounts are below this in magnitude: sums over any history stay finite (``1e308`` twice
is ``inf``); the bulk path (``columns.amount_fast``) reads at most 15 integer digits."""
QUANTITY_MAX = 999_999_999
"""Largest quantity: a product's quantities summed stay far inside ``BIGINT``."""


def amount(raw: Any) -> float:
    """Parse a finite decimal amount of magnitude below :data:`AMOUNT_LIMIT`."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("not a number") from None
    if isinstance(raw, bool) or not math.isfinite(value):
        raise ValueError("not a finite number")
    if abs(value) >= AMOUNT_LIMIT:
        raise ValueError("out of range (magnitude below 1e15)")
    return value


def quantity(raw: Any) -> int:
    """Parse a non-negative integer quantity."""
    if isinstance(raw, bool) or isinstance(raw, float) and not raw.is_integer():
        raise ValueError("not an integer")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError("not an integer") from None
    if value < 0:
        raise ValueError("must be >= 0")
    if value > QUANTITY_MAX:
        raise ValueError(f"out of range (at most {QUANTITY_MAX:,})")
    return value


def properties(raw: Any) -> dict[str, Any]:
    """Accept a JSON object (JSONL) or a JSON object in a string (CSV)."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value
