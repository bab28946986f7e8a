"""Email over SMTP (stdlib ``smtplib``/``email`` in a worker thread).

Each message is ``multipart/alternative`` (text part, plus an HTML part when the content has
``html``) with ``List-Unsubscribe`` (the per-message one-click URL, plus a ``mailto:`` when
configured) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), and a
``Message-ID`` derived from the idempotency key, so a repeat is recognisable downstream.
One connection per batch; a dropped connection is reopened for the rest of the batch.

Reply codes: 2xx delivered; 4xx (and timeouts, disconnects) transient; 5xx permanent (for
example ``550`` unknown mailbox). SMTP has no dedupe: a timeout after the server accepted
``DATA`` can, on retry, deliver twice (same ``Message-ID``) — at-least-once at that moment.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlsplit

from userops.dispatch.adapters._http import dedupe_id, fail
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult
from userops.dispatch.render import unsubscribe_url
from userops.settings import get_settings

_TAGS = re.compile(r"<[^<>]+>")
"""A tag (a run of ``<`` without ``>`` is read once, not once per ``<``)."""


def message_id_domain(sender: str) -> str:
    """The domain of our ``Message-ID`` headers: the sender's, else ``USEROPS_PUBLIC_URL``'s host.

    ``"优选 <news@shop.example>"`` and ``news@shop.example`` give ``shop.example``; a sender
    without a domain gives the host the unsubscribe links point at.
    """
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    return domain if at and domain else urlsplit(get_settings().public_url).hostname or "localhost"


class SmtpAdapter:
    """Sends email through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        sender: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        security: str = "none",
        timeout: float = 10.0,
        unsubscribe_mailto: str | None = None,
        cost_per_message: float = 0.001,
        rate_per_second: float = 20.0,
        burst: int = 50,
        max_batch: int = 50,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"security={security!r}: expected none, starttls or ssl")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.security = security
        self.timeout = timeout
        self.unsubscribe_mailto = unsubscribe_mailto
        self.domain = message_id_domain(sender)
        self.capabilities = Capabilities(
            "email", cost_per_message, rate_per_second, burst, max_batch
        )

    def build(self, m: OutgoingMessage) -> EmailMessage:
        """The MIME message for ``m``."""
        c = m.content
        html = c.get("html")
        text = c.get("body") or (_TAGS.sub("", html) if html else "")
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = m.address.get("email", "")
        msg["Subject"] = c.get("subject") or ""
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{dedupe_id(m.idempotency_key)}@{self.domain}>"
        links = [f"<{unsubscribe_url(m.idempotency_key)}>"]
        if self.unsubscribe_mailto:
            mid = dedupe_id(m.idempotency_key, 16)
            links.append(f"<mailto:{self.unsubscribe_mailto}?subject=unsubscribe-{mid}>")
        msg["List-Unsubscribe"] = ", ".join(links)
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
        return msg

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        if self.security == "ssl":
            ctx = ssl.create_default_context()
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password or "")
        return conn

    def _one(self, conn: smtplib.SMTP, m: OutgoingMessage) -> SendResult:
        to = m.address.get("email", "")
        try:
            built = self.build(m)
        except (ValueError, TypeError) as exc:  # header injection, bad address...
            return fail(m, f"bad email: {exc}", transient=False)
        try:
            refused = conn.send_message(built, from_addr=self.sender, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b"refused"))
            return _coded(m, code, text)
        except smtplib.SMTPResponseException as exc:
            return _coded(m, exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:  # non-ASCII address, no SMTPUTF8
            return fail(m, f"bad email: {exc}", transient=False)
        except UnicodeError as exc:
            return fail(m, f"bad email: {exc}", transient=False)
        if refused:
            code, text = next(iter(refused.values()))
            return _coded(m, code, text)
        return SendResult(
            m.idempotency_key,
            True,
            provider_message_id=f"{dedupe_id(m.idempotency_key)}@{self.domain}",
        )

    def _send_all(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        conn: smtplib.SMTP | None = None
        try:
            for m in messages:
                if not m.address.get("email"):
                    results.append(fail(m, "no email address", transient=False))
                    continue
                try:
                    conn = conn or self._connect()
                    results.append(self._one(conn, m))
                except (OSError, smtplib.SMTPException) as exc:
                    results.append(fail(m, _network_error(exc), transient=True))
                    _close(conn)
                    conn = None
                except Exception as exc:  # kept to this message (see _http.fan_out)
                    results.append(fail(m, f"smtp error: {exc}", transient=True))
        finally:
            if conn is not None:
                _close(conn)
        return results

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send ``messages`` over one connection in a worker thread; one result each."""
        return await asyncio.to_thread(self._send_all, messages)

    async def aclose(self) -> None:
        """Nothing held between batches."""


def _coded(m: OutgoingMessage, code: int, text: bytes | str) -> SendResult:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return fail(m, f"smtp {code} {detail}", transient=400 <= code < 500)


def _network_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return "smtp timeout"
    return f"smtp {type(exc).__name__}: {exc}"


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()
