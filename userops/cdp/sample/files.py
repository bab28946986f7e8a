"""Deterministic import files (users, events, consents CSVs) for benches and tests.

Same seed, same bytes: ``bench/bench_import.py`` times ``userops import`` on them and
``tests/cdp/test_import_kill.py`` kills an import of them halfway. About 5% of the user
records share a phone or an openid with an earlier record, so identity resolution has work
to do; every record has its own ``created_at`` (no shortcut through repeated values).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ZONES = ("Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "Asia/Hong_Kong", "America/New_York")
REGIONS = ("Shanghai", "Beijing", "Guangdong", "Zhejiang", "Sichuan")
USER_HEADER = (
    "user_id",
    "name",
    "phone",
    "email",
    "wechat_openid",
    "device_id",
    "timezone",
    "language",
    "region",
    "created_at",
)
EVENT_TYPES = ("order", "visit", "message_opened", "app_open")
CHANNELS = ("sms", "email", "wechat_template", "app_push")


def generate_users(path: Path, rows: int, seed: int = 7) -> None:
    """Write a users CSV with ``rows`` records ``u0``… (some sharing identifiers)."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(USER_HEADER)
        for i in range(rows):
            phone_no = i if i < 1000 or rnd.random() > 0.03 else rnd.randrange(i)
            openid = f"o{i}" if i < 1000 or rnd.random() > 0.02 else f"o{rnd.randrange(i)}"
            w.writerow(
                (
                    f"u{i}",
                    f"User {i}",
                    f"13{phone_no % 10}{phone_no:08d}",
                    f"user{i}@example.com" if i % 3 else "",
                    openid if i % 2 else "",
                    f"dev-{i:x}" if i % 4 == 0 else "",
                    ZONES[i % len(ZONES)],
                    "zh" if i % 5 else "en",
                    REGIONS[i % len(REGIONS)],
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i // 24 % 60:02d}:"
                    f"{i // 1440 % 60:02d}+08:00",
                )
            )


def generate_events(path: Path, rows: int, users: int, seed: int = 11) -> None:
    """Write an events CSV (orders with amounts, visits, opens) over users ``u0``…``u{users-1}``."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("user_id", "type", "ts", "channel", "amount", "quantity"))
        for i in range(rows):
            kind = EVENT_TYPES[rnd.randrange(4)]
            order = kind == "order"
            w.writerow(
                (
                    f"u{rnd.randrange(users)}",
                    kind,
                    1_704_067_200 + i * 7,
                    CHANNELS[rnd.randrange(4)],
                    f"{rnd.randrange(100, 50_000) / 100:.2f}" if order else "",
                    rnd.randrange(1, 4) if order else "",
                )
            )


def generate_consents(path: Path, users: int) -> None:
    """Write a consents CSV: one row per user, channels in turn, every 7th withdrawn."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("user_id", "channel", "status", "source", "ts"))
        for i in range(users):
            status = "withdrawn" if i % 7 == 0 else "granted"
            w.writerow((f"u{i}", CHANNELS[i % 4], status, "app", 1_704_067_200 + i))
