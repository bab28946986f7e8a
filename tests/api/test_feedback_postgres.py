"""The feedback paths on PostgreSQL for real: 退订 reply, one-click link, replayed call."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from tests.api.feedback_support import (
    SECRETS,
    consent,
    count,
    events,
    make_site,
    next_dispatch,
    people,
)
from userops.dispatch.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from userops.dispatch.feedback import unsubscribe as tokens

pytestmark = pytest.mark.pg


def test_reply_link_and_call_on_postgresql(pg_engine: Engine, home: Path) -> None:
    site = make_site(pg_engine, home)
    ids = people(pg_engine, 3, ("sms", "email", "voice_call"))
    reply = {"phone_number": "13800000001", "send_time": "2026-05-28 10:05:00",
             "content": "退订", "sequence_id": 11}  # fmt: skip
    assert site.aliyun("reply", [reply]).status_code == 200
    assert site.aliyun("reply", [reply]).json()["duplicates"] == 2  # Aliyun pushes again
    link = urlsplit(tokens.link(2, "email", "c1", site.settings)).path
    assert site.client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    doc = {"task_id": "c1|s1|3|voice_call", "status": "completed", "intent": "opt_out",
           "ended_at": 1779937200, "metadata": {"user_id": 3, "campaign_id": "c1"}}  # fmt: skip
    body, ts = json.dumps(doc).encode(), str(int(time.time()))
    headers = {SIGNATURE_HEADER: signature(SECRETS["call"], ts, body), TIMESTAMP_HEADER: ts}
    assert site.client.post("/v1/callbacks/call", content=body, headers=headers).status_code == 200
    written = count(pg_engine, "events")
    again = site.client.post("/v1/callbacks/call", content=body, headers=headers)
    assert again.status_code == 409 and count(pg_engine, "events") == written == 5
    assert consent(pg_engine, 1, "sms") == ("withdrawn", "sms_reply")
    assert consent(pg_engine, 2, "email") == ("withdrawn", "unsubscribe_link")
    assert consent(pg_engine, 3, "voice_call") == ("withdrawn", "call_opt_out")
    assert sorted(e[1] for e in events(pg_engine)).count("message_opted_out") == 3
    assert next_dispatch(pg_engine, ids, "sms", "c2")[1] == ("suppressed", "consent")
    assert next_dispatch(pg_engine, ids, "email", "c3")[2] == ("suppressed", "consent")
