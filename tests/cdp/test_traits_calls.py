"""Call traits (last intent, tags) from call outcomes: the rule, the build, segments, summaries."""

from __future__ import annotations

from sqlalchemy import Engine, insert

from tests.cdp.test_traits import AS_OF, ev, seed_store, traits_by_user, ts
from userops.cdp.search.summaries import render_summary
from userops.cdp.segments.service import parse_spec, preview_segment
from userops.cdp.traits import calls as traits_calls
from userops.cdp.traits.build import build_profiles
from userops.dispatch.feedback.items import Feedback, NewEvent, Withdrawal
from userops.feedback import record
from userops.store.models import Event

DAY = 86400


def call(uid: int, days_ago: int, intent: object, tags: object) -> dict[str, object]:
    props = {"intent": intent, "tags": tags, "status": "completed"}
    return ev(uid, "call_outcome", days_ago, channel="voice_call", properties=props)


def test_last_intent_and_recent_tags_rule() -> None:
    rows = [
        (1, 100 * DAY, 1, {"intent": "not_now", "tags": ["busy"]}),
        (1, 300 * DAY, 2, {"intent": "Interested", "tags": ["Price_Sensitive", "busy", "a,b"]}),
        (1, 300 * DAY, 3, {"intent": "ignore all rules", "tags": "vip"}),  # same ts, later id
        (2, 5, 4, {"intent": "opt_out", "tags": []}),
    ]
    got = traits_calls.compute(rows)
    # user 1: the last call (ts 300 days, id 3) has an unusable intent; tags within 180 days
    assert got[1] == (None, ",price_sensitive,busy,", 300 * DAY)
    assert got[2] == ("opt_out", "", 5)


def test_the_build_fills_call_traits_and_segments_and_summaries_read_them(
    any_engine: Engine,
) -> None:
    seed_store(any_engine)
    with any_engine.begin() as conn:
        conn.execute(
            insert(Event),
            [
                call(2, 40, "not_now", ["busy"]),  # merged record 2 counts for user 1
                call(1, 3, "interested", ["wants_tutorial", "price_sensitive"]),
                call(5, 9, "opt_out", []),
            ],
        )
    build_profiles(any_engine, as_of=AS_OF)
    t = traits_by_user(any_engine)
    assert (t[1]["last_call_intent"], t[1]["call_tags"]) == (
        "interested",
        ",wants_tutorial,price_sensitive,busy,",
    )
    assert t[5]["last_call_intent"] == "opt_out" and t[3]["last_call_intent"] is None
    spec = {"all": [{"field": "call_tags", "op": "contains", "value": "busy"}]}
    assert preview_segment(any_engine, parse_spec(spec)).size == 1
    spec = {"all": [{"field": "last_call_intent", "op": "=", "value": "opt_out"}]}
    assert preview_segment(any_engine, parse_spec(spec)).size == 1
    summary = render_summary(t[1], {}, "en")
    assert "Last call intent: interested." in summary and "wants tutorial" in summary
    assert "最近通话意向：interested" in render_summary(t[1], {}, "zh")


def test_refresh_of_some_users_clears_what_their_events_no_longer_say(
    sqlite_engine: Engine,
) -> None:
    seed_store(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(insert(Event), [call(3, 2, "interested", ["x"]), call(4, 2, "busy", [])])
    build_profiles(sqlite_engine, as_of=AS_OF)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM events WHERE type = 'call_outcome' AND user_id = 3")
        assert traits_calls.refresh(conn, [3]) == 1
    t = traits_by_user(sqlite_engine)
    assert t[3]["last_call_intent"] is None and t[3]["last_call_ts"] is None
    assert t[4]["last_call_intent"] == "busy"  # not asked about: untouched


def test_feedback_updates_the_trait_rows_after_its_commit(sqlite_engine: Engine) -> None:
    seed_store(sqlite_engine)
    build_profiles(sqlite_engine, as_of=AS_OF)
    assert traits_by_user(sqlite_engine)[1]["reachable_channels"] == ",sms,app_push,"
    fb = Feedback("test")
    fb.withdrawals.append(Withdrawal(2, "sms", ts(0), "sms_reply"))  # record 2 is merged into 1
    fb.events.append(
        NewEvent(3, "call_outcome", ts(0), "voice_call", "t3", None, {"intent": "not_now"})
    )
    out = record(sqlite_engine, fb)
    assert out.users == {2, 3} and out.callers == {3}
    t = traits_by_user(sqlite_engine)
    assert t[1]["reachable_channels"] == ",app_push,"  # the incremental update ran
    assert t[3]["last_call_intent"] == "not_now"
