"""A store holding one person in every place personal data lives, plus a bystander.

The person has two records (``BIG`` and ``MERGED``, merged by e-mail) with ids far from
anything else, so that a scan of every column for their digits is meaningful.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Integer, MetaData, String, Table, Text, inspect, select, text
from sqlalchemy.types import JSON

BIG = 987654321
MERGED = 987654322
OTHER = 5
NAME = "Zhang Weiqiang"
NAME_ZH = "张伟强"
PHONE = "+8613912345678"
EMAIL = "weiqiang.zhang@example.com"
OPENID = "oPersonOpenId0000000000000001"
DEVICE = "dev-zwq-77a1b2"
EXT = ("ext-zwq-1", "ext-zwq-2")
SUMMARY = "Loyal pour-over coffee buyer who reviews grinders every spring"
NEEDLES = (NAME, NAME_ZH, PHONE, PHONE[3:], EMAIL, OPENID, DEVICE, *EXT, SUMMARY)
BYSTANDER = "Li Na"
NOW = int(time.time())
DAY_AGO = NOW - 86400


def _trait(uid: int, summary: str) -> dict[str, Any]:
    return {
        "user_id": uid,
        "as_of_ts": NOW,
        "language": "en",
        "timezone": "Asia/Shanghai",
        "days_since_signup": 400,
        "lifecycle_stage": "mature",
        "rfm_segment": "champion",
        "p_alive": 0.9,
        "expected_orders_90d": 1.5,
        "ltv_12m": 300.0,
        "ltv_tier": "high",
        "churn_risk": 0.1,
        "summary": summary,
        "summary_hash": "h" + str(uid),
    }


def _preview(uid: int, name: str) -> dict[str, Any]:
    return {"sample_user": {"user_id": uid, "name": name}, "body": f"Hi {name}, 20% off beans"}


def _card() -> dict[str, Any]:
    return {"previews": [_preview(BIG, NAME), _preview(OTHER, BYSTANDER)], "risk_tier": "low"}


def seed_person(engine: Engine) -> None:
    """Write the person and the bystander into every table that can hold them."""
    at = datetime.now(UTC)
    t = {name: _table(engine, name) for name in _NAMES}
    rows: dict[str, list[dict[str, Any]]] = {
        "users": [
            _user(BIG, EXT[0], NAME, phone=PHONE, email=EMAIL, wechat_openid=OPENID),
            _user(MERGED, EXT[1], NAME_ZH, email=EMAIL, device_id=DEVICE),
            _user(OTHER, "ext-li-5", BYSTANDER, phone="+8613700000005"),
        ],
        "identities": [
            {"user_id": BIG, "kind": "phone", "value": PHONE, "source": "import"},
            {"user_id": BIG, "kind": "email", "value": EMAIL, "source": "import"},
            {"user_id": BIG, "kind": "wechat_openid", "value": OPENID, "source": "import"},
            {"user_id": MERGED, "kind": "email", "value": EMAIL, "source": "app"},
            {"user_id": MERGED, "kind": "device_id", "value": DEVICE, "source": "app"},
            {"user_id": OTHER, "kind": "phone", "value": "+8613700000005", "source": "import"},
        ],
        "identity_merges": [
            {
                "survivor_id": BIG,
                "merged_id": MERGED,
                "kind": "email",
                "value": EMAIL,
                "actor": "import",
                "at": at,
            }
        ],
        "consents": [
            {"user_id": BIG, "channel": "sms", "status": "granted", "source": "form",
             "ts": DAY_AGO},
            {"user_id": MERGED, "channel": "email", "status": "withdrawn", "ts": DAY_AGO},
            {"user_id": OTHER, "channel": "sms", "status": "granted", "ts": DAY_AGO},
        ],
        "events": [
            _event(BIG, "order", f"call me on {PHONE}", "k1"),
            _event(MERGED, "visit", None, "k2"),
            _event(OTHER, "order", "fine", "k3"),
        ],
        "traits": [_trait(BIG, SUMMARY), _trait(OTHER, "Occasional tea buyer")],
        "campaigns": [
            {
                "id": "c1",
                "thread_id": "t-dsr",
                "name": "win back",
                "language": "en",
                "status": "completed",
                "goal": {"text": f"win back lapsed buyers, not {NAME}"},
                "plan": {"steps": [{"step_id": "s1"}], "note": f"ask {NAME_ZH} first"},
                "revision": 1,
                "spent": 0.1,
                "created_at": at,
                "updated_at": at,
            }
        ],
        "campaign_members": [_member(BIG), _member(OTHER)],
        "outbox": [_outbox(BIG, NAME), _outbox(OTHER, BYSTANDER)],
        "deliveries": [_delivery(BIG, NAME), _delivery(OTHER, BYSTANDER)],
        "approvals": [
            {
                "id": "a1",
                "campaign_id": "c1",
                "thread_id": "t-dsr",
                "revision": 1,
                "status": "approved",
                "risk_tier": "low",
                "card": _card(),
                "comment": f"ok, but keep {EMAIL} out next time",
                "created_at": at,
            }
        ],
        "thread_events": [
            {"thread_id": "t-dsr", "event": "update", "data": {"card": _card()}, "at": at}
        ],
        "audit": [
            _audit("identity.merge", "user", str(MERGED), {"survivor_id": BIG, "kind": "email"}),
            _audit("consent.set", "consent", f"{BIG}:sms", {"user_id": BIG, "new": "granted"}),
            _audit("thread.message", "thread", "t-dsr", {"text": f"exclude {EMAIL} please"}),
            _audit("campaign.create", "campaign", "c1", {"name": "win back"}),
        ],
        "lessons": [
            {"campaign_id": "c1", "language": "en", "text": f"{NAME} answered SMS in minutes"},
            {"campaign_id": "c1", "language": "en", "text": "SMS beats push for lapsed buyers"},
        ],
        "sources": [{"id": 1, "name": "web", "key_hash": "k" * 64, "created_at": at}],
        "ingest_messages": [
            {"source_id": 1, "message_id": "m-1", "type": "identify", "user_id": BIG,
             "received_ts": NOW},
            {"source_id": 1, "message_id": "m-2", "type": "identify", "user_id": OTHER,
             "received_ts": NOW},
        ],
    }  # fmt: skip
    with engine.begin() as conn:
        for name in _NAMES:
            for row in rows.get(name, []):
                conn.execute(t[name].insert(), row)
        conn.execute(
            text("UPDATE users SET merged_into = :b WHERE id = :m"), {"b": BIG, "m": MERGED}
        )


_NAMES = (
    "users",
    "identities",
    "identity_merges",
    "consents",
    "events",
    "traits",
    "campaigns",
    "campaign_members",
    "outbox",
    "deliveries",
    "approvals",
    "thread_events",
    "audit",
    "lessons",
    "sources",
    "ingest_messages",
)


def _table(engine: Engine, name: str) -> Table:
    from userops.store.models import Base

    return Base.metadata.tables[name]


def _user(uid: int, ext: str, name: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": uid,
        "external_id": ext,
        "name": name,
        "phone": None,
        "email": None,
        "wechat_openid": None,
        "device_id": None,
        "timezone": "Asia/Shanghai",
        "language": "en",
        "source": "import",
        "created_ts": NOW - 86400 * 400,
        "do_not_contact": False,
    }
    return {**base, **kw}


def _event(uid: int, type_: str, text_: str | None, key: str) -> dict[str, Any]:
    return {
        "user_id": uid,
        "type": type_,
        "ts": NOW - 3600,
        "channel": "sms",
        "amount": 12.5 if type_ == "order" else None,
        "properties": {"sku": "beans"},
        "text": text_,
        "dedupe_key": key,
    }


def _member(uid: int) -> dict[str, Any]:
    return {
        "campaign_id": "c1",
        "step_id": "s1",
        "user_id": uid,
        "arm": "treatment",
        "variant": "v1",
        "channel": "sms",
        "assigned_ts": NOW,
    }


def _outbox(uid: int, name: str) -> dict[str, Any]:
    return {
        "idempotency_key": f"c1|s1|{uid}|sms",
        "campaign_id": "c1",
        "step_id": "s1",
        "user_id": uid,
        "channel": "sms",
        "variant": "v1",
        "content": {"ref": "r1", "fill": {"name": name}},
        "state": "sent",
        "sent_ts": NOW - 60,
        "provider_message_id": f"pm-{uid}",
        "cost": 0.05,
        "created_ts": NOW - 120,
    }


def _delivery(uid: int, name: str) -> dict[str, Any]:
    return {
        "idempotency_key": f"c1|s1|{uid}|sms",
        "channel": "sms",
        "user_id": uid,
        "campaign_id": "c1",
        "provider_message_id": f"pm-{uid}",
        "ts": NOW - 60,
        "payload": {"to": PHONE if uid == BIG else "+8613700000005", "body": f"Hi {name}"},
    }


def _audit(action: str, etype: str, eid: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC),
        "actor": "import",
        "action": action,
        "entity_type": etype,
        "entity_id": eid,
        "detail": detail,
    }


def dump_store(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as text, in a stable order (for all-or-nothing checks)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    meta = MetaData()
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = Table(name, meta, autoload_with=conn)
            rows = conn.execute(select(table)).all()
            out[name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def traces(engine: Engine, needles: tuple[str, ...], ids: tuple[int, ...]) -> list[str]:
    """``table.column`` places that still hold a needle (text/JSON) or an id (integers)."""
    found: list[str] = []
    meta = MetaData()
    digits = tuple(str(i) for i in ids)
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = Table(name, meta, autoload_with=conn)
            for row in conn.execute(select(table)).mappings():
                for col in table.columns:
                    value = row[col.name]
                    if value is None:
                        continue
                    if isinstance(col.type, Integer) and not isinstance(value, bool):
                        if int(value) in ids:
                            found.append(f"{name}.{col.name}={value}")
                        continue
                    if isinstance(col.type, String | Text | JSON) or isinstance(value, str):
                        as_text = value if isinstance(value, str) else json.dumps(value)
                        as_text += json.dumps(value, ensure_ascii=False)
                        low = as_text.lower()
                        hits = [n for n in (*needles, *digits) if n.lower() in low]
                        found += [f"{name}.{col.name}~{h}" for h in hits]
    return found
