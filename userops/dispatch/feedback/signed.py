"""Verification of signed callbacks (HMAC-SHA256, the scheme of our webhook adapter).

The sender computes ``sha256=`` + hex ``HMAC-SHA256(secret, timestamp + "." + raw body)``
and sends it as ``X-Userops-Signature`` with ``X-Userops-Timestamp: <epoch seconds>``
(:func:`userops.dispatch.adapters.webhook.signature`). A callback is refused (401) when the
provider's secret is not configured, a header is missing, the signature does not match, or
the timestamp is more than ``callback_tolerance_s`` from now either way (expired, or a
clock far ahead). A signature already accepted is refused (409) as a replay: accepted
signatures are kept (``callback_replays``) for twice the tolerance, which covers every
timestamp that could still pass. A sender that retries signs again with a fresh timestamp.

The Aliyun SMS push has no signature; its URL carries a secret token instead
(:func:`check_token`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from userops.dispatch.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature


@dataclass
class Refused(Exception):
    """A callback that is not let in: its HTTP status, where, and why."""

    status: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True)
class Replay:
    """What to remember of an accepted signed callback (see :mod:`.record`)."""

    digest: str
    """sha256 hex of the provider and the signature."""
    now: int
    forget_before: int
    """Remembered signatures older than this are deleted."""


def _configured(secret: SecretStr | None, provider: str) -> str:
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise Refused(401, "secret", f"{provider} callbacks are not configured on this server")
    return value


def verify(
    provider: str,
    secret: SecretStr | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance_s: int,
) -> Replay:
    """Check a signed callback; return its replay record.

    Raises:
        Refused: 401, located at the header at fault (or ``secret``).
    """
    key = _configured(secret, provider)
    sig = headers.get(SIGNATURE_HEADER.lower()) or headers.get(SIGNATURE_HEADER)
    ts = headers.get(TIMESTAMP_HEADER.lower()) or headers.get(TIMESTAMP_HEADER)
    if not sig:
        raise Refused(401, f"header {SIGNATURE_HEADER}", "missing")
    if not ts:
        raise Refused(401, f"header {TIMESTAMP_HEADER}", "missing")
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 12):
        raise Refused(401, f"header {TIMESTAMP_HEADER}", "must be epoch seconds")
    if not hmac.compare_digest(signature(key, ts, body).encode(), sig.encode("utf-8", "replace")):
        raise Refused(401, f"header {SIGNATURE_HEADER}", "does not match the body")
    if abs(now - int(ts)) > tolerance_s:
        raise Refused(
            401, f"header {TIMESTAMP_HEADER}", f"expired: more than {tolerance_s} s from now"
        )
    digest = hashlib.sha256(f"{provider}|{sig}".encode()).hexdigest()
    return Replay(digest, now, now - 2 * tolerance_s)


def check_token(provider: str, secret: SecretStr | None, token: str | None) -> None:
    """Check the secret token of an unsigned push's URL (constant time).

    Raises:
        Refused: 401 at ``query token``.
    """
    key = _configured(secret, provider)
    if not token:
        raise Refused(401, "query token", "missing")
    if not hmac.compare_digest(key.encode(), token.encode("utf-8", "replace")):
        raise Refused(401, "query token", "does not match")
