"""Per-recipient unsubscribe links: a signed token for (user, channel, campaign).

Token: ``<payload>.<mac>`` where ``payload`` is the base64url (unpadded) of
``"<user id>|<channel>|<campaign id>"`` and ``mac`` the first 16 bytes, base64url, of
``HMAC-SHA256(key, "unsubscribe/v1|" + payload)``. The link is
``{USEROPS_PUBLIC_URL}/unsubscribe/<token>``: it carries no contact data, cannot be forged
or pointed at another user without the key, and does not expire (RFC 8058 asks that a
one-click link keep working). The key is ``USEROPS_UNSUBSCRIBE_KEY``, or a random key made
once in ``{home}/unsubscribe.key`` (shared by the API and the workers of one home).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from userops.domain import CHANNELS
from userops.errors import BadInput
from userops.settings import Settings, get_settings

PATH = "/unsubscribe/"
"""Where the API serves the links (``userops.api.routes.unsubscribe``)."""
MAX_TOKEN = 400
_DOMAIN = b"unsubscribe/v1|"
_MAC_BYTES = 16
_KEY_FILE = "unsubscribe.key"
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Recipient:
    """What a valid token names."""

    user_id: int
    channel: str
    campaign_id: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or any(c not in _ALPHABET for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _file_key(home: Path) -> bytes:
    """The key in ``home/unsubscribe.key``, made once (atomically) when missing."""
    home = home.resolve()
    path = home / _KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f".{_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # fails if another process made it first: theirs is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


def signing_key(settings: Settings | None = None) -> bytes:
    """The HMAC key of the tokens (configured, else the home's key file)."""
    s = settings or get_settings()
    if s.unsubscribe_key is not None and s.unsubscribe_key.get_secret_value():
        return s.unsubscribe_key.get_secret_value().encode()
    return _file_key(s.home)


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, _DOMAIN + payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_MAC_BYTES])


def make_token(user_id: int, channel: str, campaign_id: str, key: bytes) -> str:
    """The token of one recipient on one channel of one campaign."""
    payload = _b64(f"{int(user_id)}|{channel}|{campaign_id}".encode())
    return f"{payload}.{_mac(key, payload)}"


def link(user_id: int, channel: str, campaign_id: str, settings: Settings | None = None) -> str:
    """The one-click unsubscribe URL of a recipient."""
    s = settings or get_settings()
    return s.public_url + PATH + make_token(user_id, channel, campaign_id, signing_key(s))


def link_for_key(idempotency_key: str, settings: Settings | None = None) -> str:
    """The link of the message with ``idempotency_key`` (``campaign|step|user|channel``)."""
    head, user, channel = _split_key(idempotency_key)
    return link(user, channel, head.split("|", 1)[0], settings)


def _split_key(key: str) -> tuple[str, int, str]:
    head, _, rest = key.rpartition("|")
    head, _, user = head.rpartition("|")
    try:
        return head, int(user), rest
    except ValueError:
        raise ValueError(f"not a message key: {key!r}") from None


def verify(token: str, key: bytes) -> Recipient:
    """The recipient a token names.

    Raises:
        BadInput: the token is malformed or its signature is wrong (located at ``token``).
    """

    def bad(reason: str) -> BadInput:
        return BadInput.one(reason, field="token", value=token[:80], source="path")

    if len(token) > MAX_TOKEN:
        raise bad(f"longer than {MAX_TOKEN} characters")
    payload, dot, mac = token.rpartition(".")
    if not dot or not payload:
        raise bad("not an unsubscribe token (expected <payload>.<signature>)")
    # bytes, not str: compare_digest raises TypeError on non-ASCII text (a forged link).
    if not hmac.compare_digest(_mac(key, payload).encode(), mac.encode("utf-8", "replace")):
        raise bad("signature does not match (the link was altered or is not ours)")
    try:
        user, channel, campaign = _unb64(payload).decode().split("|", 2)
        user_id = int(user)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad("signed payload is malformed") from None
    if channel not in CHANNELS:
        raise bad(f"unknown channel {channel!r}")
    return Recipient(user_id, channel, campaign)
