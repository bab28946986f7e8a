"""Segment message validation: located rejections, limits, clock-skew correction."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest

from userops.cdp.stream.accept import Accepted, Body, Refused, accept_batch, accept_one, decode
from userops.cdp.stream.fields import Rejection
from userops.cdp.stream.spec import MAX_BATCH_BYTES, MAX_EVENT_BYTES, Message, parse
from userops.domain import DERIVED_EVENT_TYPES

NOW = 1_790_000_000.0  # 2026-09-21T...Z, this server's clock
ISO_NOW = "2026-09-21T14:13:20+00:00"


def _track(**kw: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Video Played", "messageId": "m1", **kw}


def test_sent_at_corrects_the_senders_clock() -> None:
    # the device clock is 1 hour ahead: it stamped the event 10 s before it sent it
    msg = parse(
        _track(timestamp="2026-09-21T15:13:00+00:00", sentAt="2026-09-21T15:13:10+00:00"),
        None,
        NOW,
    )
    assert isinstance(msg, Message) and msg.ts == int(NOW) - 10


def test_batch_sent_at_applies_and_a_message_sent_at_wins() -> None:
    batch = {
        "sentAt": "2026-09-21T16:13:20Z",  # two hours ahead
        "batch": [
            _track(timestamp="2026-09-21T16:13:00Z"),
            _track(messageId="m2", timestamp="2026-09-21T14:00:00Z", sentAt=ISO_NOW),
            _track(messageId="m3"),  # no timestamp: received time
            _track(messageId="m4", originalTimestamp="2026-09-21T16:12:20Z"),
        ],
    }
    good, bad, total = accept_batch(orjson.dumps(batch), batch, NOW)
    assert not bad and total == 4
    assert [a.msg.ts for a in good] == [int(NOW) - 20, int(NOW) - 800, int(NOW), int(NOW) - 60]


def test_timestamp_without_sent_at_is_taken_as_given() -> None:
    msg = parse(_track(timestamp="2020-01-02T03:04:05"), None, NOW)  # naive: UTC
    assert isinstance(msg, Message) and msg.ts == 1577934245


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"type": "tracks"}, "batch[0].type", "must be one of"),
        ({"userId": None}, "batch[0].userId", "userId or anonymousId is required"),
        ({"userId": ["x"]}, "batch[0].userId", "must be a string"),
        ({"userId": "x" * 121}, "batch[0].userId", "longer than 120"),
        ({"anonymousId": True}, "batch[0].anonymousId", "must be a string"),
        ({"messageId": 5}, "batch[0].messageId", "must be a string"),
        ({"event": ""}, "batch[0].event", "is required"),
        ({"event": "e" * 201}, "batch[0].event", "longer than 200"),
        ({"timestamp": "yesterday"}, "batch[0].timestamp", "not an ISO-8601"),
        ({"timestamp": 1700000000}, "batch[0].timestamp", "ISO-8601 date-time string"),
        ({"timestamp": "2999-01-01T00:00:00Z"}, "batch[0].timestamp", "out of range"),
        ({"sentAt": "soon"}, "batch[0].sentAt", "not an ISO-8601"),
        ({"properties": [1]}, "batch[0].properties", "must be a JSON object"),
        ({"context": "web"}, "batch[0].context", "must be a JSON object"),
        ({"context": {"timezone": "Mars/Olympus"}}, "batch[0].context.timezone", "IANA"),
        ({"context": {"ip": "1.2.3.999"}}, "batch[0].context.ip", "not an IP address"),
        ({"context": {"locale": 7}}, "batch[0].context.locale", "language tag"),
        ({"context": {"device": {"id": {}}}}, "batch[0].context.device.id", "must be a string"),
        (
            {"properties": {"total": "lots"}, "event": "Order Completed"},
            "batch[0].properties.total",
            "not a number",
        ),
        (
            {
                "properties": {"products": [{"price": 1, "quantity": -2}]},
                "event": "Order Completed",
            },
            "batch[0].properties.products[0].quantity",
            "must be >= 0",
        ),
        (
            {"properties": {"channel": "pigeon"}, "event": "Email Opened"},
            "batch[0].properties.channel",
            "unknown channel",
        ),
    ],
)
def test_each_bad_field_is_named_and_the_good_messages_stay(
    change: dict[str, Any], field: str, reason: str
) -> None:
    batch = {"batch": [_track(**change), _track(messageId="ok")]}
    good, bad, total = accept_batch(orjson.dumps(batch), batch, NOW)
    assert total == 2 and [a.msg.message_id for a in good] == ["ok"]
    assert len(bad) == 1 and bad[0].index == 0 and bad[0].field == field, bad
    assert reason in bad[0].reason


@pytest.mark.parametrize(
    ("msg", "field"),
    [
        ({"type": "alias", "userId": "u1"}, "batch[0].previousId"),
        ({"type": "alias", "previousId": "a"}, "batch[0].userId"),
        ({"type": "group", "userId": "u1"}, "batch[0].groupId"),
        (
            {"type": "identify", "userId": "u1", "traits": {"email": "not-mail"}},
            "batch[0].traits.email",
        ),
        ({"type": "identify", "userId": "u1", "traits": {"phone": "12"}}, "batch[0].traits.phone"),
        (
            {"type": "identify", "userId": "u1", "traits": {"consent_fax": True}},
            "batch[0].traits.consent_fax",
        ),
        (
            {"type": "identify", "userId": "u1", "traits": {"consent_sms": "maybe"}},
            "batch[0].traits.consent_sms",
        ),
        (
            {"type": "identify", "userId": "u1", "traits": {"email_subscribe": "yes"}},
            "batch[0].traits.email_subscribe",
        ),
        (
            {
                "type": "identify",
                "userId": "u1",
                "context": {"consent": {"categoryPreferences": {"sms": "on"}}},
            },
            "batch[0].context.consent.categoryPreferences.sms",
        ),
        (
            {"type": "identify", "userId": "u1", "traits": {"createdAt": "long ago"}},
            "batch[0].traits.createdAt",
        ),
    ],
)
def test_identify_alias_and_group_fields_are_located(msg: dict[str, Any], field: str) -> None:
    batch = {"batch": [msg]}
    good, bad, _ = accept_batch(orjson.dumps(batch), batch, NOW)
    assert not good and [r.field for r in bad] == [field]


def test_an_event_over_32_kb_is_refused_alone() -> None:
    big = _track(messageId="big", properties={"blob": "x" * MAX_EVENT_BYTES})
    batch = {"batch": [_track(), big, _track(messageId="m3")]}
    good, bad, _ = accept_batch(orjson.dumps(batch), batch, NOW)
    assert [a.msg.message_id for a in good] == ["m1", "m3"]
    assert [(r.index, r.field) for r in bad] == [(1, "batch[1]")] and "32 KB" in bad[0].reason


def test_a_nul_character_is_located_in_its_message() -> None:
    batch = {"batch": [_track(), _track(messageId="n", properties={"note": "a\x00b"})]}
    good, bad, _ = accept_batch(orjson.dumps(batch), batch, NOW)
    assert len(good) == 1 and bad[0].field == "batch[1].properties.note"


@pytest.mark.parametrize("derived", DERIVED_EVENT_TYPES)
def test_derived_event_types_cannot_be_sent(derived: str) -> None:
    batch = {"batch": [_track(), _track(event=derived, messageId="x"), _track(messageId="m3")]}
    good, bad, _ = accept_batch(orjson.dumps(batch), batch, NOW)
    assert [a.msg.message_id for a in good] == ["m1", "m3"]
    assert [(r.index, r.field, r.value) for r in bad] == [(1, "batch[1].event", derived)]
    assert "derives" in bad[0].reason
    body = orjson.dumps(_track(event=derived))
    with pytest.raises(Refused) as exc:
        accept_one(body, orjson.loads(body), NOW, "track")
    assert exc.value.rejection.field == "event"


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        (b'"a\\ud800b"', "batch[1].properties.note", "lone surrogate"),
        (b'"a\xed\xa0\x80b"', "batch[1].properties.note", "lone surrogate"),  # raw bytes
        (b"NaN", "batch[1].properties.note", "finite"),
        (b"-Infinity", "batch[1].properties.note", "finite"),
        (b"1e400", "batch[1].properties.note", "finite"),
        (b"9" * 400, "batch[1].properties.note", "finite"),
        (b'{"\\udfff": 1}', "batch[1].properties.note", "lone surrogate"),
    ],
)
def test_values_orjson_refuses_are_located_in_their_message(
    value: bytes, field: str, reason: str
) -> None:
    bad = b'{"type": "track", "userId": "u2", "event": "E", "properties": {"note": %s}}' % value
    good = orjson.dumps(_track())
    raw, data, lenient = decode(b'{"batch": [%s, %s, %s]}' % (good, bad, good), None)
    assert lenient
    ok, refused, total = accept_batch(raw, data, NOW, lenient=lenient)
    assert total == 3 and len(ok) == 2
    assert [(r.index, r.field[: len(field)]) for r in refused] == [(1, field)]
    assert reason in refused[0].reason
    orjson.dumps([r.to_dict() for r in refused])  # the answer can quote it back


def _accept(body: Body) -> tuple[list[Accepted], list[Rejection], int]:
    return accept_batch(body.raw, body.data, NOW, lenient=body.lenient)


def test_a_batch_level_value_is_refused_whole_and_big_integers_read_as_orjson_does() -> None:
    big = b'{"type": "track", "userId": "u1", "event": "E", "properties": {"n": 1%s}}' % (b"0" * 30)
    with pytest.raises(Refused) as exc:  # a batch-level value would go into every message
        _accept(decode(b'{"batch": [%s], "x": [NaN]}' % big, None))
    assert exc.value.rejection.field == "x[0]"
    strict = decode(b'{"batch": [%s]}' % big, None)
    lenient = decode(b'{"batch": [%s, {"x": NaN}]}' % big, None)
    assert lenient.lenient and not strict.lenient
    ok, refused, _ = _accept(lenient)
    assert [r.field for r in refused] == ["batch[1].x"]
    assert ok[0].msg.properties == strict.data["batch"][0]["properties"] == {"n": 1e30}
    orjson.dumps(ok[0].msg.properties)  # storable (an int over 64 bits is not)


def test_single_route_refuses_an_unstorable_value_at_its_field() -> None:
    body = b'{"userId": "u1", "event": "E", "properties": {"a": [1, "\\ud800"]}}'
    with pytest.raises(Refused) as exc:
        accept_one(*decode(body, None)[:2], NOW, "track", lenient=True)
    assert exc.value.rejection.field == "properties.a[1]"
    with pytest.raises(Refused) as exc:
        accept_one(*decode(b'{"userId": "u1", "event": "E\\u0000"}', None)[:2], NOW, "track")
    assert exc.value.rejection.field == "event"


def test_single_route_checks_type_and_size() -> None:
    body = orjson.dumps({"type": "identify", "userId": "u1"})
    with pytest.raises(Refused) as exc:
        accept_one(body, orjson.loads(body), NOW, "track")
    assert exc.value.rejection.field == "type"
    big = orjson.dumps(_track(properties={"blob": "x" * MAX_EVENT_BYTES}))
    with pytest.raises(Refused) as exc:
        accept_one(big, orjson.loads(big), NOW, "track")
    assert exc.value.rejection.field == "body" and "32 KB" in exc.value.rejection.reason
    ok = accept_one(orjson.dumps(_track(type=None)), _track(), NOW, "track")
    assert ok.msg.type == "track"


@pytest.mark.parametrize(
    ("body", "encoding", "field", "reason"),
    [
        (b"{", None, "body", "not valid JSON"),
        (b"[]", None, "body", '"batch" list'),
        (b'{"batch": {}}', None, "batch", "must be a list"),
        (b'{"batch": [], "sentAt": "x"}', None, "sentAt", "ISO-8601"),
        (b'{"batch": [], "context": 1}', None, "context", "JSON object"),
        (b"not gzip", "gzip", "body", "not valid gzip"),
        (gzip.compress(b'{"batch": []}')[:-9], "gzip", "body", "ends early"),
        (b'{"batch": []}', "br", "Content-Encoding", "gzip or identity"),
        (b" " * (MAX_BATCH_BYTES + 1), None, "body", "larger than 500 KB"),
        (gzip.compress(b" " * (MAX_BATCH_BYTES * 4)), "gzip", "body", "500 KB once decoded"),
    ],
)
def test_unreadable_bodies_are_refused_whole(
    body: bytes, encoding: str | None, field: str, reason: str
) -> None:
    with pytest.raises(Refused) as exc:
        raw, data, _ = decode(body, encoding)
        accept_batch(raw, data, NOW)
    assert exc.value.rejection.field == field and reason in exc.value.rejection.reason


def test_gzip_bodies_are_read() -> None:
    raw, data, _ = decode(gzip.compress(orjson.dumps({"batch": [_track()]})), "gzip")
    good, bad, _ = accept_batch(raw, data, NOW)
    assert len(good) == 1 and not bad


def test_rejection_shortens_what_it_quotes() -> None:
    r = Rejection(3, "batch[3].event", "longer than 200 characters", "e" * 500)
    assert len(r.to_dict()["value"]) == 41 and r.to_dict()["index"] == 3


def test_a_refused_value_is_quoted_back_as_valid_json() -> None:
    r = Rejection(None, "batch", "must be a list of messages", "a\ud800b" + "x" * 50)
    assert orjson.loads(orjson.dumps(r.to_dict()))["value"].startswith("a\\ud800b")
    body = decode(b'{"batch": "\\ud800"}', None)
    with pytest.raises(Refused) as exc:
        accept_batch(body.raw, body.data, NOW, lenient=body.lenient)
    assert orjson.dumps(exc.value.rejection.to_dict())
