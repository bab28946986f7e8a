"""Numbers no store can hold in a segment spec: a 422 (or CLI line) naming the JSON path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.api.conftest import Api
from userops.cdp.segments.service import parse_spec
from userops.cli.main import app
from userops.errors import BadInput

BIG = 2**63


def _trait(value: object) -> dict[str, object]:
    return {"all": [{"field": "days_since_last_order", "op": ">=", "value": value}]}


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        (_trait(BIG), "all[0].value", "64-bit"),
        (_trait(-BIG - 1), "all[0].value", "64-bit"),
        ({"any": [{"event": "order", "count": {"op": ">=", "value": BIG}}]}, "any[0].count.value",
         "64-bit"),
        ({"all": [], "limit": BIG * 4}, "limit", "64-bit"),
        ({"none": [{"event": "order", "where": {"amount": {"op": ">", "value": BIG}}}]},
         "none[0].where.amount.value", "64-bit"),
        ({"all": [{"event": "order", "within_days": BIG // 86400}]}, "all[0].within_days",
         "1 to 36500"),
        (_trait(float("inf")), "all[0].value", "finite"),
    ],
)  # fmt: skip
def test_out_of_range_numbers_are_named(spec: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_spec(spec)
    assert err.value.problems[0].field == field and reason in err.value.problems[0].reason


def test_largest_integer_still_previews(api: Api) -> None:
    r = api.client.post("/v1/segments/preview", json=_trait(BIG - 1), headers=api.auth("ana"))
    assert r.status_code == 200, r.text


def test_api_names_the_path(api: Api) -> None:
    r = api.client.post("/v1/segments/preview", json=_trait(BIG), headers=api.auth("ana"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "all[0].value"


def test_cli_names_the_path(home: Path) -> None:
    res = CliRunner().invoke(app, ["segments", "preview", json.dumps(_trait(BIG))])
    assert res.exit_code == 1 and "spec all[0].value='>= 2^63': out of range" in res.output
    digits = '{"all": [{"field": "days_since_last_order", "op": ">=", "value": 1' + "0" * 5000
    res = CliRunner().invoke(app, ["segments", "preview", digits + "}]}"])
    assert res.exit_code == 1 and "invalid JSON" in res.output and "Traceback" not in res.output
