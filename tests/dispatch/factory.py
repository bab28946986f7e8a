"""Test data for the dispatch tests: users with consents, and steps."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from userops.dispatch.models import DispatchStep, FallbackRule, MessageContent

SMS_BODY = "【优选】{name}，新教程已上线，回T退订"


def add_users(
    engine: Engine,
    n: int,
    *,
    start: int = 1,
    tz: str = "Asia/Shanghai",
    consent: tuple[str, ...] = ("sms", "app_push", "email"),
    attributes: dict[str, Any] | None = None,
    dnc: bool = False,
) -> list[int]:
    ids = list(range(start, start + n))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, external_id, name, phone, email, device_id, timezone,"
                " language, created_ts, do_not_contact, attributes)"
                " VALUES (:id, :ext, :name, :phone, :email, :dev, :tz, 'zh', 0, :dnc, :attrs)"
            ),
            [
                {
                    "id": i,
                    "ext": f"u{i}",
                    "name": f"用户{i}",
                    "phone": f"+86138{i:08d}",
                    "email": f"u{i}@example.com",
                    "dev": f"dev{i}",
                    "tz": tz,
                    "dnc": dnc,
                    "attrs": json.dumps(attributes) if attributes else None,
                }
                for i in ids
            ],
        )
        rows = [{"u": i, "ch": ch, "ts": 1} for i in ids for ch in consent]
        if rows:
            conn.execute(
                text(
                    "INSERT INTO consents (user_id, channel, status, source, ts)"
                    " VALUES (:u, :ch, 'granted', 'test', :ts)"
                ),
                rows,
            )
    return ids


def set_consent(engine: Engine, user_id: int, channel: str, status: str, ts: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO consents (user_id, channel, status, source, ts) VALUES"
                " (:u, :ch, :st, 'test', :ts) ON CONFLICT (user_id, channel) DO UPDATE SET"
                " status = excluded.status, ts = excluded.ts"
            ),
            {"u": user_id, "ch": channel, "st": status, "ts": ts},
        )


def sms(
    variant: str = "v1", body: str = SMS_BODY, content_type: str = "tutorial"
) -> MessageContent:
    return MessageContent(variant_id=variant, channel="sms", body=body, content_type=content_type)


def push(variant: str = "p1", content_type: str = "tutorial") -> MessageContent:
    return MessageContent(
        variant_id=variant,
        channel="app_push",
        title="新教程",
        body="{name}，来看看",
        content_type=content_type,
    )


def step(
    users: list[int],
    *,
    campaign: str = "c1",
    step_id: str = "s1",
    channel: str = "sms",
    marketing: bool = True,
    holdout: list[int] | None = None,
    budget: float | None = None,
    fallback: FallbackRule | None = None,
    contents: dict[str, MessageContent] | None = None,
    variant: str | None = None,
) -> DispatchStep:
    contents = contents or {"v1": sms(), "p1": push()}
    if variant is None:
        variant = next(v for v, c in contents.items() if c.channel == channel)
    return DispatchStep(
        campaign_id=campaign,
        step_id=step_id,
        marketing=marketing,
        contents=contents,
        assignments=[(u, channel, variant) for u in users],
        holdout=holdout or [],
        budget=budget,
        fallback=fallback,
    )


def outbox_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT user_id, channel, state, reason, not_before_ts, step_id"
                " FROM outbox ORDER BY id"
            )
        ).all()


def deliveries(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT idempotency_key, user_id, channel, ts, payload FROM deliveries ORDER BY id"
            )
        ).all()
