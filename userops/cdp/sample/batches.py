"""Deterministic Segment ``/v1/batch`` bodies for benches and tests of real-time ingestion.

Messages have the shape ``analytics-python`` sends (``messageId``, ``timestamp``,
``context.library``, ``sentAt``): track events known and custom, pages and screens, or
identifies with an e-mail and a phone. Message ``i`` always gets messageId ``bench-{i}`` and
user ``user-{i * 7919 % users}``, so a resent body is a client retry.
"""

from __future__ import annotations

from typing import Any

import orjson

EVENTS = (
    ("track", "Product Viewed"),
    ("track", "Order Completed"),
    ("track", "Application Opened"),
    ("track", "Video Played"),
    ("page", "Home"),
    ("screen", "Cart"),
)


def batch_body(start: int, n: int, users: int, *, identify: bool = False) -> bytes:
    """A ``/v1/batch`` body of ``n`` messages numbered from ``start`` (stable messageIds)."""
    out = []
    for i in range(start, start + n):
        uid = f"user-{i * 7919 % users}"
        msg: dict[str, Any] = {
            "userId": uid,
            "messageId": f"bench-{i}",
            "timestamp": "2026-11-01T10:00:00.123+00:00",
            "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        }
        if identify:
            msg["type"] = "identify"
            n_ph = i * 7919 % users
            msg["traits"] = {"email": f"{uid}@example.com", "phone": f"+86138{n_ph:08d}"}
        else:
            kind, name = EVENTS[i % len(EVENTS)]
            msg["type"] = kind
            msg["event" if kind == "track" else "name"] = name
            msg["properties"] = {"product_id": f"p{i % 97}", "price": 12.5, "category": "coffee"}
            if name == "Order Completed":
                msg["properties"]["total"] = 25.0
        out.append(msg)
    return orjson.dumps({"batch": out, "sentAt": "2026-11-01T10:00:01+00:00"})
