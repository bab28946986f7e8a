"""One test per policy rule, at enqueue and again at the gate before the adapter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.doubles import RecordingAdapter
from tests.dispatch.factory import add_users, outbox_rows, set_consent, sms, step
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.errors import BadInput

# 2026-05-28 02:00 UTC = 10:00 in Shanghai (allowed hours)
DAY_TS = 1779933600
POLICY = Policy.load()


def utc(*a: int) -> int:
    return int(datetime(*a, tzinfo=UTC).timestamp())


def work(engine: Engine, now: int, policy: Policy = POLICY) -> RecordingAdapter:
    adapter = RecordingAdapter("sms")
    Worker(engine, {"sms": adapter}, policy=policy, clock=lambda: now, fallbacks=False).run()
    return adapter


def states(engine: Engine) -> list[tuple[int, str, str | None]]:
    return [(r[0], r[2], r[3]) for r in outbox_rows(engine)]


def test_marketing_needs_a_consent_grant_no_row_means_not_granted(sqlite_engine: Engine) -> None:
    granted = add_users(sqlite_engine, 2, consent=("sms",))
    none = add_users(sqlite_engine, 1, start=10, consent=())
    enqueue(sqlite_engine, step(granted + none), policy=POLICY, now_ts=DAY_TS)
    assert states(sqlite_engine) == [
        (1, "pending", None),
        (2, "pending", None),
        (10, "suppressed", "consent"),
    ]
    assert sorted(m.user_id for m in work(sqlite_engine, DAY_TS).seen) == [1, 2]


def test_consent_withdrawn_after_enqueue_never_reaches_the_adapter(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 3, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=POLICY, now_ts=DAY_TS)
    set_consent(sqlite_engine, 2, "sms", "withdrawn", DAY_TS + 5)
    adapter = work(sqlite_engine, DAY_TS + 10)
    assert sorted(m.user_id for m in adapter.seen) == [1, 3]
    assert (2, "suppressed", "consent") in states(sqlite_engine)


def test_latest_consent_across_merged_records_wins(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 2, consent=("sms",))
    with sqlite_engine.begin() as conn:  # record 2 is merged into 1 and withdrew later
        conn.execute(text("UPDATE users SET merged_into = 1 WHERE id = 2"))
    set_consent(sqlite_engine, 2, "sms", "withdrawn", 50)
    report = preflight(sqlite_engine, step([1]), policy=POLICY, now_ts=DAY_TS)
    assert report.suppressed == {"consent": 1}
    set_consent(sqlite_engine, 1, "sms", "granted", 60)
    report = preflight(sqlite_engine, step([2]), policy=POLICY, now_ts=DAY_TS)
    assert report.would_send == 1  # user 2 maps to canonical 1, whose latest row is a grant


def test_transactional_needs_no_grant_but_respects_withdrawal_and_dnc(
    sqlite_engine: Engine,
) -> None:
    add_users(sqlite_engine, 3, consent=())
    set_consent(sqlite_engine, 2, "sms", "withdrawn", 5)
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE users SET do_not_contact = true WHERE id = 3"))
    r = preflight(sqlite_engine, step([1, 2, 3], marketing=False), policy=POLICY, now_ts=DAY_TS)
    assert r.would_send == 1
    assert r.suppressed == {"consent": 1, "do_not_contact": 1}


def test_do_not_contact_set_after_enqueue_stops_the_send(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 2, consent=("sms",))
    enqueue(sqlite_engine, step(users, marketing=False), policy=POLICY, now_ts=DAY_TS)
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE users SET do_not_contact = true WHERE id = 1"))
    adapter = work(sqlite_engine, DAY_TS)
    assert [m.user_id for m in adapter.seen] == [2]
    assert (1, "suppressed", "do_not_contact") in states(sqlite_engine)


def test_unreachable_without_an_address(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 2, consent=("sms",))
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE users SET phone = NULL WHERE id = 2"))
    r = preflight(sqlite_engine, step([1, 2]), policy=POLICY, now_ts=DAY_TS)
    assert (r.would_send, r.suppressed) == (1, {"unreachable": 1})


def test_quiet_hours_defer_to_nine_in_the_users_own_zone(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, tz="Asia/Shanghai", consent=("sms",))
    add_users(sqlite_engine, 1, start=2, tz="Europe/London", consent=("sms",))
    now = utc(2026, 5, 28, 14, 0)  # 22:00 Shanghai, 15:00 London (BST)
    r = enqueue(sqlite_engine, step([1, 2]), policy=POLICY, now_ts=now)
    assert (r.pending, r.deferred) == (1, 1)
    rows = {x[0]: x for x in outbox_rows(sqlite_engine)}
    assert rows[1][2:5] == ("deferred", "quiet_hours", utc(2026, 5, 29, 1, 0))  # 09:00 CST
    assert rows[2][2] == "pending"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 13, 0)),  # 01:30 EST -> 09:00 EDT (spring fwd)
        (utc(2026, 3, 8, 3, 0), utc(2026, 3, 8, 13, 0)),  # 22:00 EST Mar 7 -> 09:00 EDT
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 14, 0)),  # 01:30 EDT (first) -> 09:00 EST
        (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 14, 0)),  # 01:30 EST (second) -> 09:00 EST
        (utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 14, 0)),  # 22:00 EDT Oct 31 -> 09:00 EST
        (utc(2026, 11, 1, 14, 0), utc(2026, 11, 1, 14, 0)),  # 09:00 EST: allowed
    ],
)
def test_quiet_hours_across_daylight_saving_boundaries(now: int, expected: int) -> None:
    assert POLICY.next_quiet_free(now, "America/New_York") == expected


def test_quiet_hours_start_between_enqueue_and_send(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, tz="America/New_York", consent=("sms",))
    enqueue(sqlite_engine, step([1]), policy=POLICY, now_ts=utc(2026, 3, 8, 0, 50))  # 19:50 EST
    assert work(sqlite_engine, utc(2026, 3, 8, 2, 30)).seen == []  # 21:30 EST: quiet
    assert outbox_rows(sqlite_engine)[0][2:5] == ("deferred", "quiet_hours", utc(2026, 3, 8, 13, 0))
    assert work(sqlite_engine, utc(2026, 3, 8, 12, 59)).seen == []  # not yet due
    assert len(work(sqlite_engine, utc(2026, 3, 8, 13, 0)).seen) == 1


def test_transactional_bypasses_quiet_hours_and_caps(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=())
    night = utc(2026, 5, 28, 16, 0)  # 00:00 Shanghai
    for i in range(3):
        enqueue(
            sqlite_engine, step([1], step_id=f"t{i}", marketing=False), policy=POLICY, now_ts=night
        )
    assert len(work(sqlite_engine, night).seen) == 3


def test_daily_cap_across_concurrent_campaigns(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    a = enqueue(sqlite_engine, step([1], campaign="a"), policy=POLICY, now_ts=DAY_TS)
    b = enqueue(sqlite_engine, step([1], campaign="b"), policy=POLICY, now_ts=DAY_TS)
    assert (a.pending, b.pending, b.deferred) == (1, 0, 1)
    assert outbox_rows(sqlite_engine)[1][3] == "frequency_cap"
    assert outbox_rows(sqlite_engine)[1][4] >= DAY_TS + 86400
    strict = POLICY.model_copy(update={"over_cap": "suppress"})
    c = enqueue(sqlite_engine, step([1], campaign="c"), policy=strict, now_ts=DAY_TS)
    assert c.suppressed == {"frequency_cap": 1}


def test_another_campaign_sent_after_enqueue_takes_the_slot(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 2, consent=("sms",))
    enqueue(sqlite_engine, step([1, 2], campaign="b"), policy=POLICY, now_ts=DAY_TS)
    with sqlite_engine.begin() as conn:  # campaign a reached user 1 meanwhile
        conn.execute(
            text(
                "INSERT INTO outbox (idempotency_key, campaign_id, step_id, user_id, channel,"
                " marketing, state, attempts, not_before_ts, sent_ts, cost, created_ts)"
                " VALUES ('a|s1|1|sms', 'a', 's1', 1, 'sms', true, 'sent', 0, 0, :t, 0, 0)"
            ),
            {"t": DAY_TS + 30},
        )
    adapter = work(sqlite_engine, DAY_TS + 60)
    assert [m.user_id for m in adapter.seen] == [2]
    row = next(r for r in outbox_rows(sqlite_engine) if r[0] == 1 and r[2] != "sent")
    assert (row[2], row[3], row[4]) == ("deferred", "frequency_cap", DAY_TS + 30 + 86400)


def test_weekly_cap_and_per_channel_cap(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms", "voice_call"))
    day = 86400
    for i in range(3):
        enqueue(sqlite_engine, step([1], campaign=f"w{i}"), policy=POLICY, now_ts=DAY_TS + i * day)
        assert len(work(sqlite_engine, DAY_TS + i * day).seen) == 1
    r = preflight(sqlite_engine, step([1], campaign="w3"), policy=POLICY, now_ts=DAY_TS + 3 * day)
    assert r.would_send == 0  # a 4th in 7 days: over the weekly cap of 3
    per_channel = Policy.with_overrides(
        {
            "frequency_caps": {"per_channel": {"sms": [{"window_hours": 720, "max": 3}]}},
            "over_cap": "suppress",
        }
    )
    r = preflight(
        sqlite_engine, step([1], campaign="w4"), policy=per_channel, now_ts=DAY_TS + 10 * day
    )
    assert r.suppressed == {"frequency_cap": 1}


def test_budget_suppresses_the_excess(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 5, consent=("sms",))
    r = enqueue(sqlite_engine, step(users, budget=0.12), policy=POLICY, now_ts=DAY_TS)
    assert (r.pending, r.suppressed, r.cost) == (2, {"budget": 3}, 0.1)
    work(sqlite_engine, DAY_TS)
    with sqlite_engine.connect() as conn:
        assert conn.execute(
            text("SELECT spent FROM campaigns WHERE id='c1'")
        ).scalar_one() == pytest.approx(0.1)
    more = add_users(sqlite_engine, 1, start=20, consent=("sms",))
    r2 = enqueue(sqlite_engine, step(more, step_id="s2"), policy=POLICY, now_ts=DAY_TS + 2 * 86400)
    assert r2.suppressed == {"budget": 1}  # 0.10 spent of 0.12: no room for 0.05


def test_holdout_never_gets_an_outbox_row(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 4, consent=("sms",))
    r = enqueue(sqlite_engine, step(users, holdout=[3, 4]), policy=POLICY, now_ts=DAY_TS)
    assert (r.pending, r.suppressed, r.holdout) == (2, {"holdout": 2}, 2)
    r2 = enqueue(sqlite_engine, step([3], step_id="s2"), policy=POLICY, now_ts=DAY_TS + 9 * 86400)
    assert r2.suppressed == {"holdout": 1}
    assert {row[0] for row in outbox_rows(sqlite_engine)} == {1, 2}
    with sqlite_engine.connect() as conn:
        arms = dict(
            conn.execute(text("SELECT user_id, arm FROM campaign_members WHERE step_id='s1'")).all()
        )
    assert arms == {1: "treatment", 2: "treatment", 3: "holdout", 4: "holdout"}


def test_content_rules_suppress_bad_variants(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 2, consent=("sms",))
    bad = {"v1": sms(body="{name}，新品上线"), "v2": sms("v2", body="【优选】{nmae}，回T退订")}
    s = step([1], contents=bad, variant="v1")
    s.assignments.append((2, "sms", "v2"))
    r = preflight(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    assert r.suppressed == {"content_rule": 2}
    assert any("signature" in w for w in r.warnings)
    assert any("{nmae}" in w for w in r.warnings)


def test_preflight_writes_nothing_and_matches_enqueue(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 6, consent=("sms",))
    add_users(sqlite_engine, 2, start=7, consent=())
    s = step(list(range(1, 9)), holdout=[1], budget=0.2)
    r = preflight(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    with sqlite_engine.connect() as conn:
        for table in ("outbox", "campaign_members", "campaigns", "audit"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    e = enqueue(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    assert (r.would_send, r.deferred, r.suppressed, r.cost) == (
        e.pending,
        e.deferred,
        e.suppressed,
        e.cost,
    )
    assert r.suppressed == {"holdout": 1, "consent": 2, "budget": 1}


def test_bad_step_names_the_field_and_writes_nothing(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    s = step([1])
    s.assignments.append((1, "sms", "nope"))
    s.assignments.append((999, "sms", "v1"))
    with pytest.raises(BadInput, match=r"assignments\[1\].variant_id='nope'"):
        enqueue(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    s.assignments.pop(1)
    with pytest.raises(BadInput, match="999"):
        enqueue(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    assert outbox_rows(sqlite_engine) == []


def test_policy_file_errors_name_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "p.yaml"
    f.write_text("over_cap: sometimes\n")
    with pytest.raises(BadInput, match="over_cap"):
        Policy.load(f)
    assert Policy.load().frequency_caps.global_[0].max == 1


def test_repeats_in_one_step_are_dropped_and_two_channels_share_the_cap(
    sqlite_engine: Engine,
) -> None:
    add_users(sqlite_engine, 2, consent=("sms", "app_push"))
    s = step([1, 1, 2])
    s.assignments.append((1, "app_push", "p1"))
    r = enqueue(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    assert (r.inserted, r.existing, r.pending, r.deferred) == (3, 1, 2, 1)
    rows = {(x[0], x[1]): x[3] for x in outbox_rows(sqlite_engine)}
    assert rows == {(1, "sms"): None, (1, "app_push"): "frequency_cap", (2, "sms"): None}
