"""SMTP adapter against a local aiosmtpd server."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.dispatch.adapters.pipeline import drain, enqueue_step, rows
from tests.fakes.smtp import FakeSmtp, free_port
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.adapters.base import OutgoingMessage
from userops.dispatch.adapters.smtp import SmtpAdapter
from userops.dispatch.models import MessageContent
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.render import unsubscribe_url


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp().start()
    yield server
    server.stop()


def msg(i: int, html: bool = True) -> OutgoingMessage:
    content = {"subject": f"新教程 {i}", "body": f"你好 {i}，新教程上线"}
    if html:
        content["html"] = f"<p>你好 {i}，<a href='https://e.x/t'>新教程</a></p>"
    return OutgoingMessage(
        f"c1|s1|{i}|email", i, "email", "c1", content, {"email": f"u{i}@example.com"}
    )


def adapter(smtp: FakeSmtp, timeout: float = 5.0) -> SmtpAdapter:
    return SmtpAdapter(
        host="127.0.0.1",
        port=smtp.port,
        sender="news@shop.example",
        unsubscribe_mailto="unsub@shop.example",
        timeout=timeout,
    )


def test_multipart_with_unsubscribe_headers(smtp: FakeSmtp) -> None:
    results = asyncio.run(adapter(smtp).send_batch([msg(1), msg(2, html=False)]))
    assert [r.ok for r in results] == [True, True]
    first, second = smtp.handler.messages
    assert first.get_content_type() == "multipart/alternative"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in first.walk()
        if not p.is_multipart()
    }
    assert "你好 1" in parts["text/plain"] and "<a href" in parts["text/html"]
    assert first["Message-ID"] == f"<{dedupe_id('c1|s1|1|email')}@shop.example>"
    assert f"<{unsubscribe_url('c1|s1|1|email')}>" in first["List-Unsubscribe"]
    assert "<http://127.0.0.1:8000/unsubscribe/" in first["List-Unsubscribe"]  # USEROPS_PUBLIC_URL
    assert "mailto:unsub@shop.example" in first["List-Unsubscribe"]
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["To"] == "u1@example.com"
    assert second.get_content_type() == "text/plain"


def test_refused_busy_and_slow_recipients(smtp: FakeSmtp) -> None:
    smtp.handler.reject.add("u2@example.com")
    smtp.handler.busy.add("u3@example.com")
    smtp.handler.slow.add("u4@example.com")
    ms = [msg(i) for i in range(1, 6)]
    ok, unknown, busy, slow, after = asyncio.run(adapter(smtp, timeout=0.5).send_batch(ms))
    assert ok.ok and after.ok  # the batch reconnects after the stalled one
    assert not unknown.transient and (unknown.error or "").startswith("smtp 550")
    assert busy.transient and (busy.error or "").startswith("smtp 451")
    assert slow.transient and slow.error == "smtp timeout"
    got = Counter(m["To"] for m in smtp.handler.messages)
    assert got == {"u1@example.com": 1, "u5@example.com": 1}


def test_server_down_is_transient() -> None:
    a = SmtpAdapter(host="127.0.0.1", port=free_port(), sender="n@x.example", timeout=0.5)
    [r] = asyncio.run(a.send_batch([msg(1)]))
    assert r.transient and "Connection refused" in (r.error or "")


def test_email_through_the_worker(sqlite_engine: Engine, smtp: FakeSmtp) -> None:
    content = MessageContent(
        variant_id="e1",
        channel="email",
        subject="{name}，新教程上线",
        body="{name}，新教程上线。退订：{unsubscribe_url}",
        html="<p>{name}，新教程上线</p><a href='{unsubscribe_url}'>退订</a>",
    )
    users = enqueue_step(sqlite_engine, 4, "email", content)
    smtp.handler.busy.add("u2@example.com")  # 451 once: retried
    smtp.handler.reject.add("u3@example.com")  # 550: failed
    smtp.handler.slow.add("u4@example.com")  # stalls in DATA once: retried
    drain(sqlite_engine, {"email": adapter(smtp, timeout=0.5)})
    state = rows(sqlite_engine)
    assert {u: state[u][0] for u in users} == {1: "sent", 2: "sent", 3: "failed", 4: "sent"}
    assert (state[3][1] or "").startswith("smtp 550")
    got = Counter(m["To"] for m in smtp.handler.messages)
    assert got == {"u1@example.com": 1, "u2@example.com": 1, "u4@example.com": 1}
    first = next(m for m in smtp.handler.messages if m["To"] == "u1@example.com")
    key = idempotency_key("c1", "s1", 1, "email")
    html = next(p for p in first.walk() if p.get_content_type() == "text/html")
    assert unsubscribe_url(key) in html.get_payload(decode=True).decode()
    assert f"<{unsubscribe_url(key)}>" in first["List-Unsubscribe"]


@pytest.mark.parametrize(
    ("sender", "domain"),
    [
        ("news@shop.example", "shop.example"),
        ("优选 <news@shop.example>", "shop.example"),
        ("noreply", "ops.shop.example"),  # no domain: USEROPS_PUBLIC_URL's host
        ("", "ops.shop.example"),
    ],
)
def test_message_id_domain(sender: str, domain: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never a made-up ``.invalid`` host (or the bare local part) in our Message-IDs."""
    from userops.settings import get_settings

    monkeypatch.setenv("USEROPS_PUBLIC_URL", "https://ops.shop.example/base")
    get_settings.cache_clear()
    a = SmtpAdapter(host="127.0.0.1", sender=sender)
    assert a.domain == domain
    assert a.build(msg(1))["Message-ID"] == f"<{dedupe_id('c1|s1|1|email')}@{domain}>"
