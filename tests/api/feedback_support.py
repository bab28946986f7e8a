"""Shared parts of the feedback tests: an app with callback secrets, signing, store reads."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.dispatch.adapters.pipeline import DAY_TS, FAST
from tests.dispatch.factory import add_users, step
from userops.api.app import create_app
from userops.dispatch.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from userops.dispatch.engine import enqueue
from userops.dispatch.models import CallScript, MessageContent
from userops.settings import Settings

SMS_TOKEN = "sms-token-0123456789"
SECRETS = {"email": "mail-secret", "push": "push-secret", "call": "call-secret"}
UNSUB_KEY = "unsubscribe-key-for-tests"
PUBLIC = "https://ops.shop.example"


@dataclass
class Site:
    client: TestClient
    engine: Engine
    settings: Settings

    def signed(
        self, provider: str, doc: Any, *, ts: int | None = None, secret: str | None = None
    ) -> Any:
        """POST ``doc`` to ``/v1/callbacks/<provider>`` signed as the provider signs."""
        body = json.dumps(doc, ensure_ascii=False).encode()
        stamp = str(int(time.time()) if ts is None else ts)
        sig = signature(secret or SECRETS[provider], stamp, body)
        headers = {SIGNATURE_HEADER: sig, TIMESTAMP_HEADER: stamp}
        headers["Content-Type"] = "application/json"
        return self.client.post(f"/v1/callbacks/{provider}", content=body, headers=headers)

    def aliyun(self, kind: str, items: Any, token: str | None = SMS_TOKEN) -> Any:
        """POST an Aliyun batch push (``report`` or ``reply``) with the URL token."""
        params = {} if token is None else {"token": token}
        return self.client.post(f"/v1/callbacks/sms/{kind}", json=items, params=params)


def make_site(engine: Engine, home: Path) -> Site:
    settings = Settings(
        home=home,
        embedding="hashing",
        public_url=PUBLIC,
        unsubscribe_key=UNSUB_KEY,
        sms_callback_token=SMS_TOKEN,
        email_callback_secret=SECRETS["email"],
        push_callback_secret=SECRETS["push"],
        call_callback_secret=SECRETS["call"],
    )
    app = create_app(settings, engine=engine, recover=False)
    return Site(TestClient(app), engine, settings)


def people(engine: Engine, n: int, consent: tuple[str, ...]) -> list[int]:
    """Users with identity rows for their phone, e-mail and device, and the consents."""
    ids = add_users(engine, n, consent=consent)
    with engine.begin() as conn:
        for i in ids:
            for kind, value in (
                ("phone", f"+86138{i:08d}"),
                ("email", f"u{i}@example.com"),
                ("device_id", f"dev{i}"),
            ):
                conn.execute(
                    text("INSERT INTO identities (user_id, kind, value) VALUES (:u, :k, :v)"),
                    {"u": i, "k": kind, "v": value},
                )
    return ids


EMAIL = MessageContent(
    variant_id="e1",
    channel="email",
    subject="{name}，新教程上线",
    body="新教程 {unsubscribe_url}",
    html='<p>新教程</p><a href="{unsubscribe_url}">退订</a>',
    content_type="tutorial",
)

CALL = MessageContent(
    variant_id="k1",
    channel="voice_call",
    script=CallScript.model_validate(
        {
            "opening": "您好，我是优选的顾问",
            "branches": [{"intent": "interested", "user_says": "可以", "reply": "好的"}],
            "close": "祝您愉快",
        }
    ),
)
_CONTENT = {"email": {"e1": EMAIL}, "voice_call": {"k1": CALL}}


def next_dispatch(engine: Engine, users: list[int], channel: str, campaign: str) -> dict[int, Any]:
    """Enqueue a new marketing step to ``users`` on ``channel``: (state, reason) per user."""
    contents = _CONTENT.get(channel)
    enqueue(
        engine,
        step(users, campaign=campaign, channel=channel, contents=contents),
        policy=FAST,
        now_ts=DAY_TS,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, state, reason FROM outbox WHERE campaign_id = :c"),
            {"c": campaign},
        ).all()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def mark_sent(engine: Engine, campaign: str, ts: int = DAY_TS - 30 * 86400) -> None:
    """Mark the campaign's pending messages sent a month ago (provider id ``biz<user>``)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE outbox SET state = 'sent', sent_ts = :t,"
                " provider_message_id = 'biz' || CAST(user_id AS TEXT)"
                " WHERE campaign_id = :c AND state = 'pending'"
            ),
            {"t": ts, "c": campaign},
        )


def consent(engine: Engine, user: int, channel: str) -> tuple[str, str | None] | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, source FROM consents WHERE user_id = :u AND channel = :c"),
            {"u": user, "c": channel},
        ).first()
    return None if row is None else (row[0], row[1])


def events(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, type, channel, campaign_id, properties, text FROM events")
        ).all()
    return [
        (r[0], r[1], r[2], r[3], r[4] if isinstance(r[4], dict) else json.loads(r[4] or "{}"), r[5])
        for r in rows
    ]


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
