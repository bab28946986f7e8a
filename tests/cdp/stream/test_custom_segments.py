"""Custom events sent over the Segment API select users in segment event predicates."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.cdp.stream.support import canonical, send, sender
from userops.cdp.segments.service import parse_spec, segment_user_ids
from userops.cdp.traits.build import build_profiles


def test_custom_and_mapped_events_are_segment_predicates(sqlite_engine: Engine) -> None:
    web = sender(sqlite_engine)
    t = "2026-11-01T10:00:00Z"
    play = {"type": "track", "event": "Video Played", "timestamp": t}
    send(
        sqlite_engine,
        web,
        {**play, "userId": "fan"},
        {**play, "userId": "fan", "properties": {"title": "Latte art"}},
        {**play, "userId": "once"},
        {"type": "track", "userId": "buyer", "event": "Order Completed", "timestamp": t,
         "properties": {"total": 120}},
        {"type": "page", "userId": "reader", "name": "Blog", "category": "tea", "timestamp": t},
    )  # fmt: skip
    build_profiles(sqlite_engine)
    twice = parse_spec(
        {"all": [{"event": "custom", "where": {"event": "Video Played"}, "count": {"value": 2}}]}
    )
    assert segment_user_ids(sqlite_engine, twice) == [canonical(sqlite_engine, "fan")]
    titled = parse_spec({"all": [{"event": "custom", "where": {"title": "Latte art"}}]})
    assert segment_user_ids(sqlite_engine, titled) == [canonical(sqlite_engine, "fan")]
    big = parse_spec({"all": [{"event": "order", "where": {"amount": {"op": ">=", "value": 100}}}]})
    assert segment_user_ids(sqlite_engine, big) == [canonical(sqlite_engine, "buyer")]
    tea = parse_spec({"all": [{"event": "page_view", "where": {"category": "tea"}}]})
    assert segment_user_ids(sqlite_engine, tea) == [canonical(sqlite_engine, "reader")]
