"""A journey spec is refused with the JSON path of each problem and the valid choices."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.journeys.support import SMS, spec
from userops.errors import BadInput
from userops.journeys.check import has_cycle
from userops.journeys.parse import parse_journey


def _problems(data: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(BadInput) as info:
        parse_journey(data)
    return [(p.field, p.reason) for p in info.value.problems]


def _edit(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    s = spec()
    fn(s)
    return s


def test_the_welcome_spec_is_valid_and_round_trips() -> None:
    got = parse_journey(json.dumps(spec()))
    assert [n.id for n in got.nodes] == ["hello", "wait1", "order", "nudge", "thanks", "done"]
    assert parse_journey(got.dump()) == got
    assert not has_cycle(got)


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, list[str]]] = [
    (
        "unknown node kind",
        lambda s: s["nodes"][0].update(kind="sned"),
        "nodes[0].kind",
        ["valid kinds: send, wait, wait_for_event, branch, split, exit"],
    ),
    (
        "unknown key",
        lambda s: s["nodes"][0].update(chanels=["sms"]),
        "nodes[0].chanels",
        ["valid keys: kind, id, channels,"],
    ),
    (
        "next names no node",
        lambda s: s["nodes"][1].update(next="nowhere"),
        "nodes[1].next",
        ["no such node; valid nodes: hello, wait1, order, nudge, thanks, done"],
    ),
    (
        "unknown trigger kind",
        lambda s: s.update(trigger={"kind": "evnt"}),
        "trigger.kind",
        ["valid kinds: event, segment, anniversary, lifecycle"],
    ),
    (
        "duplicate node id",
        lambda s: s["nodes"][5].update(id="thanks"),
        "nodes[5].id",
        ["duplicate node id (also nodes[4].id)"],
    ),
    (
        "unreachable node",
        lambda s: s["nodes"].append({"kind": "exit", "id": "lonely"}),
        "nodes[6].id",
        ["unreachable from the first node (hello)"],
    ),
    (
        "sms content rules",
        lambda s: s["nodes"][0]["variants"][0].update(body="hello"),
        "nodes[0].variants[0]",
        ["brand signature", "opt-out"],
    ),
    (
        "unknown channel",
        lambda s: s["nodes"][0].update(channels=["sms", "fax"]),
        "nodes[0].channels[1]",
        ["unknown channel; valid channels: sms, app_push"],
    ),
    (
        "unknown trait field in a branch",
        lambda s: s["nodes"].__setitem__(
            3,
            {
                "kind": "branch",
                "id": "nudge",
                "cases": [{"trait": {"field": "ltv", "op": "=", "value": "high"}, "next": "done"}],
                "otherwise": "done",
            },
        ),
        "nodes[3].cases[0].trait.field",
        ["unknown field; valid fields: user_id,", "ltv_tier"],
    ),
    (
        "bad enum value in a segment branch",
        lambda s: s["nodes"].__setitem__(
            3,
            {
                "kind": "branch",
                "id": "nudge",
                "cases": [
                    {
                        "segment": {"all": [{"field": "ltv_tier", "op": "=", "value": "hi"}]},
                        "next": "done",
                    }
                ],
                "otherwise": "done",
            },
        ),
        "nodes[3].cases[0].segment.all[0].value",
        ["allowed values: high, mid, low"],
    ),
    (
        "segment search refused",
        lambda s: s.update(trigger={"kind": "segment", "segment": {"all": [], "search": "x"}}),
        "trigger.segment.search",
        ["not supported in journeys"],
    ),
    (
        "event predicate with an unknown key",
        lambda s: s.update(
            trigger={"kind": "segment", "segment": {"all": [{"event": "order", "whre": {}}]}}
        ),
        "trigger.segment.all[0].whre",
        ["valid keys: event, where, count, within_days"],
    ),
    (
        "unknown lifecycle stage",
        lambda s: s.update(trigger={"kind": "lifecycle", "to": ["vip"]}),
        "trigger.to[0]",
        ["'new'", "'churn_risk'"],
    ),
    (
        "goal filter of the wrong type",
        lambda s: s.update(goal={"event": "order", "where": {"amount": {"op": ">", "value": "x"}}}),
        "goal.where.amount",
        ["amount is a number"],
    ),
    (
        "wait with both a duration and a time",
        lambda s: s["nodes"][1].update(until={"time": "09:00"}),
        "nodes[1]",
        ["either duration or until"],
    ),
    (
        "re-entry after without days",
        lambda s: s.update(reentry={"policy": "after"}),
        "reentry.days",
        ["after needs days"],
    ),
    (
        "placeholder without its value",
        lambda s: s["nodes"][0]["variants"][0].update(body=SMS + "{offer}"),
        "nodes[0].values",
        ["{offer} is used but values.offer is not set"],
    ),
]


@pytest.mark.parametrize(("name", "change", "path", "says"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_spec_names_the_path_and_the_valid_choices(
    name: str, change: Callable[[dict[str, Any]], None], path: str, says: list[str]
) -> None:
    found = _problems(_edit(change))
    reasons = [r for f, r in found if f == path]
    assert reasons, f"{name}: no problem at {path}: {found}"
    for text in says:
        assert any(text in r for r in reasons), f"{name}: {text!r} not in {reasons}"


def _loop(with_wait: bool) -> dict[str, Any]:
    s = spec()
    back = {"kind": "wait", "id": "pause", "duration": {"hours": 1}, "next": "hello"}
    # hello -> wait1 (a branch) -> nudge -> [pause ->] hello
    s["nodes"][3]["next"] = "pause" if with_wait else "hello"
    s["nodes"][2]["happened"] = "done"  # thanks is left out: the loop is nudge's
    s["nodes"][4] = back if with_wait else {"kind": "exit", "id": "thanks"}
    s["nodes"][1] = {"kind": "branch", "id": "wait1", "cases": [], "otherwise": "order"}
    s["nodes"][1]["cases"] = [
        {"trait": {"field": "ltv_tier", "op": "=", "value": "high"}, "next": "nudge"}
    ]
    return s


def test_a_cycle_needs_a_wait() -> None:
    found = _problems(_loop(with_wait=False))
    cycles = [(f, r) for f, r in found if r.startswith("a cycle without a wait")]
    assert [f for f, _ in cycles] == ["nodes[3].next"]
    assert "hello -> wait1 -> nudge -> hello" in cycles[0][1]
    ok = parse_journey(_loop(with_wait=True))
    assert has_cycle(ok)


def test_invalid_json_and_non_objects_are_located() -> None:
    assert _problems('{"name": 1,\n "x"') == [
        (None, "invalid JSON: Expecting ':' delimiter at column 5")
    ]
    assert _problems("[1]")[0][0] == "spec"
    assert _problems({"name": "x\x00", "trigger": {}, "nodes": []})[0] == (
        "name",
        "must not contain a NUL character",
    )
