"""Aliyun SMS callbacks over HTTP: replies that opt out, delivery reports, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.api.feedback_support import (
    Site,
    consent,
    count,
    events,
    make_site,
    mark_sent,
    next_dispatch,
    people,
)
from userops.dispatch.adapters._http import dedupe_id
from userops.feedback.aliyun import is_opt_out


@pytest.fixture
def site(sqlite_engine: Engine, home: Path) -> Site:
    return make_site(sqlite_engine, home)


def reply(user: int, content: str, seq: int = 1, phone: str | None = None) -> dict[str, object]:
    return {
        "phone_number": phone or f"138{user:08d}",
        "send_time": "2026-05-28 10:05:00",
        "content": content,
        "sign_name": "优选",
        "dest_code": "01",
        "sequence_id": seq,
    }


@pytest.mark.parametrize("word", ["退订", "TD", "stop", " T ", "请帮我退订，谢谢"])
def test_an_opt_out_reply_withdraws_sms_consent_and_the_next_dispatch_suppresses(
    site: Site, word: str
) -> None:
    ids = people(site.engine, 2, ("sms",))
    first = next_dispatch(site.engine, ids, "sms", "c1")
    assert set(first.values()) == {("pending", None)}
    mark_sent(site.engine, "c1")
    r = site.aliyun("reply", [reply(1, word)])
    assert r.status_code == 200, r.text
    assert r.json()["code"] == 0 and r.json()["consents_withdrawn"] == 1
    assert consent(site.engine, 1, "sms") == ("withdrawn", "sms_reply")
    assert consent(site.engine, 2, "sms") == ("granted", "test")
    kinds = sorted((e[0], e[1], e[3]) for e in events(site.engine))
    assert kinds == [(1, "message_opted_out", "c1"), (1, "message_replied", "c1")]
    then = next_dispatch(site.engine, ids, "sms", "c2")
    assert then == {1: ("suppressed", "consent"), 2: ("pending", None)}


def test_a_reply_that_does_not_opt_out_keeps_consent(site: Site) -> None:
    people(site.engine, 1, ("sms",))
    r = site.aliyun("reply", [reply(1, "好的，谢谢，什么时候发货？")])
    assert r.status_code == 200 and r.json()["consents_withdrawn"] == 0
    assert consent(site.engine, 1, "sms") == ("granted", "test")
    [e] = events(site.engine)
    assert e[1] == "message_replied" and e[4]["opt_out"] is False
    assert e[5] == "好的，谢谢，什么时候发货？"  # kept as untrusted text
    assert next_dispatch(site.engine, [1], "sms", "c2") == {1: ("pending", None)}


def test_the_same_push_twice_records_once(site: Site) -> None:
    people(site.engine, 1, ("sms",))
    assert site.aliyun("reply", [reply(1, "TD", seq=7)]).status_code == 200
    again = site.aliyun("reply", [reply(1, "TD", seq=7)]).json()
    assert again["events"] == 0 and again["duplicates"] == 2
    assert count(site.engine, "events") == 2


def test_delivery_reports_are_matched_to_our_messages(site: Site) -> None:
    ids = people(site.engine, 3, ("sms",))
    next_dispatch(site.engine, ids, "sms", "c1")
    mark_sent(site.engine, "c1")
    base = {"send_time": "2026-05-28 10:00:00", "report_time": "2026-05-28 10:00:09"}
    items = [
        {**base, "phone_number": "13800000001", "success": True, "err_code": "DELIVERED",
         "biz_id": "biz1"},
        {**base, "phone_number": "13800000002", "success": False, "err_code": "MK:0001",
         "out_id": dedupe_id("c1|s1|2|sms")},
        {**base, "phone_number": "13800000003", "success": True, "biz_id": "not-ours"},
    ]  # fmt: skip
    r = site.aliyun("report", items)
    assert r.status_code == 200, r.text
    assert r.json()["events"] == 2 and r.json()["unmatched"] == 1
    got = {e[0]: e for e in events(site.engine)}
    assert got[1][1:4] == ("message_delivered", "sms", "c1")
    assert got[2][1] == "custom" and got[2][4]["event"] == "message_undelivered"
    assert got[2][4]["err_code"] == "MK:0001" and got[2][3] == "c1"


@pytest.mark.parametrize(
    ("token", "status"), [(None, 401), ("wrong-token", 401), ("sms-token-0123456789x", 401)]
)
def test_a_push_without_the_url_token_is_refused(
    site: Site, token: str | None, status: int
) -> None:
    people(site.engine, 1, ("sms",))
    r = site.aliyun("reply", [reply(1, "退订")], token=token)
    assert r.status_code == status
    assert r.json()["detail"][0]["loc"] == ["query", "token"]
    assert consent(site.engine, 1, "sms") == ("granted", "test")
    assert count(site.engine, "events") == 0


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([reply(1, "退订"), {**reply(1, "TD", 2), "send_time": "28/05/2026"}], "[1].send_time"),
        ([reply(1, "退订"), {**reply(1, "TD", 2), "phone_number": "12"}], "[1].phone_number"),
        ([{**reply(1, "退订"), "content": 5}], "[0].content"),
        ([{**reply(1, "退订"), "content": "x" * 1001}], "[0].content"),
        ([reply(1, "退订"), "TD"], "[1]"),
        ({"phone_number": "13800000001"}, "$"),
        ([], "$"),
    ],
)
def test_a_malformed_push_is_a_located_400_and_nothing_is_written(
    site: Site, items: object, field: str
) -> None:
    people(site.engine, 1, ("sms",))
    r = site.aliyun("reply", items)
    assert r.status_code == 400, r.text
    assert field in [d["field"] for d in r.json()["detail"]]
    assert consent(site.engine, 1, "sms") == ("granted", "test")
    assert count(site.engine, "events") == 0 and count(site.engine, "audit") == 0


def test_a_malformed_report_names_the_field(site: Site) -> None:
    item = {"phone_number": "13800000001", "send_time": "2026-05-28 10:00:00",
            "report_time": "2026-05-28 10:00:09", "success": "yes"}  # fmt: skip
    r = site.aliyun("report", [item])
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "[0].success"


def test_not_json_is_located_at_the_root(site: Site) -> None:
    r = site.client.post(
        "/v1/callbacks/sms/reply", content=b"[{", params={"token": "sms-token-0123456789"}
    )
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "$"


def test_opt_out_words() -> None:
    assert all(is_opt_out(w) for w in ("退订", "T", "td", "TD。", "STOP!", "Ｔ Ｄ", "回复退订"))
    assert not any(is_opt_out(w) for w in ("好的", "TDD", "stop by later", "thanks", ""))
