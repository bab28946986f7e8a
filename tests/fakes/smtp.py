"""A local SMTP server (aiosmtpd) that records messages and can refuse or stall."""

from __future__ import annotations

import asyncio
import email
import socket
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """aiosmtpd handler: ``reject`` (550), ``busy`` (451 once each), ``slow`` (stall in DATA)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reject: set[str] = set()
        self.busy: set[str] = set()
        self.slow: set[str] = set()
        self.slow_seconds = 1.0

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 User unknown"
        if address in self.busy:
            self.busy.discard(address)
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if set(envelope.rcpt_tos) & self.slow:
            self.slow -= set(envelope.rcpt_tos)
            await asyncio.sleep(self.slow_seconds)
            return "451 4.4.2 Timeout"
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted"


class FakeSmtp:
    """Starts and stops a recording SMTP server on 127.0.0.1."""

    def __init__(self) -> None:
        self.handler = Recorder()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> FakeSmtp:
        """Serve."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()
