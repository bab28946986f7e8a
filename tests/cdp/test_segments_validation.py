"""SegmentSpec validation: every refusal names the JSON path, the value and what is valid."""

from __future__ import annotations

from typing import Any

import pytest

from userops.cdp.segments.service import parse_spec, validate_spec
from userops.cdp.segments.spec import SegmentSpec, TraitPredicate
from userops.cdp.traits.catalog import TRAIT_CATALOG, catalog_as_dict
from userops.domain import EVENT_TYPES
from userops.errors import BadInput


def _refused(spec: Any, source: str = "spec") -> BadInput:
    with pytest.raises(BadInput) as info:
        parse_spec(spec, source=source)
    return info.value


def _trait(field: str, op: str, value: Any) -> dict[str, Any]:
    return {
        "all": [
            {"field": "orders_total", "op": ">=", "value": 1},
            {"field": field, "op": op, "value": value},
        ]
    }


def test_unknown_field_names_path_and_lists_valid_fields() -> None:
    exc = _refused(_trait("last_order_days", ">=", 60))
    problem = exc.problems[0]
    assert problem.field == "all[1].field"
    assert problem.value == "last_order_days"
    for name in TRAIT_CATALOG:
        assert name in problem.reason
    assert "all[1].field='last_order_days'" in str(exc)


@pytest.mark.parametrize(
    ("field", "op", "value", "needle"),
    [
        ("days_since_last_order", ">=", "sixty", "number"),
        ("churn_risk", "<", True, "number"),
        ("ltv_tier", "in", "high", "non-empty list"),
        ("ltv_tier", "in", [], "non-empty list"),
        ("churn_risk", "between", [0.5], "[lo, hi]"),
        ("churn_risk", "between", [0.9, 0.1], "lo <= hi"),
        ("lifecycle_stage", "=", "sleeping", "allowed values: new, growing, mature"),
        ("ltv_tier", "in", ["high", "gold"], "allowed values: high, mid, low"),
        ("reachable_channels", "contains", "fax", "allowed values: sms"),
        ("reachable_channels", "contains", "sms,email", "one element"),
        ("region", "=", 5, "text"),
        ("last_contacted_at", "<", "yesterday", "ISO-8601"),
        ("churn_risk", "exists", "yes", "exists takes"),
        ("days_since_last_order", ">=", None, "needs a value"),
    ],
)
def test_wrong_value_type_is_refused(field: str, op: str, value: Any, needle: str) -> None:
    exc = _refused(_trait(field, op, value))
    assert len(exc.problems) == 1
    problem = exc.problems[0]
    assert problem.field == "all[1].value"
    assert problem.value == value
    assert needle in problem.reason


@pytest.mark.parametrize(
    ("field", "op"),
    [("churn_risk", "contains"), ("lifecycle_stage", "<"), ("reachable_channels", "=")],
)
def test_operator_must_suit_the_field_type(field: str, op: str) -> None:
    exc = _refused(_trait(field, op, "x"))
    problem = exc.problems[0]
    assert problem.field == "all[1].op"
    assert "valid operators" in problem.reason
    for allowed in TRAIT_CATALOG[field].ops:
        assert allowed in problem.reason


def test_unknown_operator_is_a_shape_error_with_path() -> None:
    exc = _refused({"none": [{"field": "churn_risk", "op": "~", "value": 1}]})
    assert [p.field for p in exc.problems] == ["none[0].op"]
    assert "'='" in exc.problems[0].reason


def test_unknown_event_type_lists_event_types() -> None:
    exc = _refused({"any": [{"event": "purchase", "within_days": 7}]})
    problem = exc.problems[0]
    assert problem.field == "any[0].event"
    assert problem.value == "purchase"
    for name in EVENT_TYPES:
        assert name in problem.reason


@pytest.mark.parametrize(
    ("pred", "path"),
    [
        ({"event": "order", "within_days": 0}, "all[0].within_days"),
        ({"event": "order", "count": {"op": ">=", "value": -1}}, "all[0].count.value"),
        ({"event": "order", "where": {"amount": "a lot"}}, "all[0].where.amount"),
        ({"event": "order", "where": {"channel": "fax"}}, "all[0].where.channel"),
        ({"event": "order", "where": {"x": {"op": "~", "value": 1}}}, "all[0].where.x.op"),
        ({"event": "order", "where": {"bad key": 1}}, "all[0].where.bad key"),
        ({"event": "order", "where": {"items": [1, 2]}}, "all[0].where.items"),
        ({"event": "order", "where": {"page": {"op": ">", "value": "a"}}}, "all[0].where.page"),
    ],
)
def test_event_predicate_problems_are_located(pred: dict[str, Any], path: str) -> None:
    exc = _refused({"all": [pred]})
    assert [p.field for p in exc.problems] == [path]


def test_extra_keys_and_wrong_shapes_are_located() -> None:
    exc = _refused({"all": [{"field": "churn_risk", "op": ">", "value": 0.5, "weight": 2}]})
    assert [(p.field, p.reason) for p in exc.problems] == [("all[0].weight", "unknown key")]
    exc = _refused({"every": []})
    assert exc.problems[0].field == "every"
    exc = _refused({"all": [], "limit": 0})
    assert exc.problems[0].field == "limit"
    exc = _refused({"all": [{"event": "order", "count": {"op": ">=", "value": "two"}}]})
    assert [p.field for p in exc.problems] == ["all[0].count.value"]


def test_invalid_json_names_line_and_column() -> None:
    exc = _refused('{\n  "all": [\n    {"field": "churn_risk",}\n  ]\n}', source="seg.json")
    problem = exc.problems[0]
    assert (problem.source, problem.line) == ("seg.json", 3)
    assert "column" in problem.reason
    assert str(exc).startswith("seg.json:3")


def test_not_an_object_is_refused() -> None:
    exc = _refused("[1, 2]")
    assert "JSON object" in exc.problems[0].reason


def test_every_problem_is_reported_at_once() -> None:
    exc = _refused(
        {
            "all": [
                {"field": "nope", "op": "=", "value": 1},
                {"field": "ltv_tier", "op": "=", "value": "gold"},
            ],
            "none": [{"event": "nap"}],
        }
    )
    assert [p.field for p in exc.problems] == ["all[0].field", "all[1].value", "none[0].event"]


def test_valid_specs_parse_and_keep_their_json_form() -> None:
    spec = parse_spec(
        '{"all": [{"field": "days_since_last_order", "op": ">=", "value": 60},'
        ' {"field": "ltv_tier", "op": "in", "value": ["high", "mid"]},'
        ' {"field": "reachable_channels", "op": "contains", "value": "sms"},'
        ' {"field": "last_contacted_at", "op": "<", "value": "2026-01-01T00:00:00Z"}],'
        ' "none": [{"event": "order", "within_days": 7}], "limit": 10}'
    )
    assert spec.limit == 10
    assert spec.dump()["all"][1]["value"] == ["high", "mid"]
    assert parse_spec({"all": []}) == SegmentSpec()
    assert parse_spec(spec) is spec


def test_spec_built_in_code_is_validated_too() -> None:
    spec = SegmentSpec(all=[TraitPredicate(field="vip", op="=", value=True)])
    with pytest.raises(BadInput, match="valid fields"):
        validate_spec(spec)


def test_catalog_as_dict_is_plain_json_with_enum_values() -> None:
    data = catalog_as_dict()
    assert data["lifecycle_stage"]["values"] == [
        "new",
        "growing",
        "mature",
        "churn_risk",
        "churned",
        "reactivated",
    ]
    assert "contains" in data["reachable_channels"]["ops"]
    assert data["last_contacted_at"]["column"] == "last_contacted_ts"
    assert set(data) == set(TRAIT_CATALOG)
