"""``BadInput.from_validation_error``: one located problem per pydantic error."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from userops.errors import BadInput


class _Item(BaseModel):
    n: int


class _Doc(BaseModel):
    name: str
    items: list[_Item]


def _error(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        _Doc.model_validate(data)
    return info.value


def test_every_error_is_located_under_the_prefix() -> None:
    exc = _error({"name": 3, "items": [{"n": 1}, {"n": "x"}]})
    bad = BadInput.from_validation_error(exc, where="body", source="doc.json")
    assert [p.field for p in bad.problems] == ["body.name", "body.items.1.n"]
    assert [p.value for p in bad.problems] == [3, "x"]
    assert str(bad).splitlines()[1].startswith("doc.json body.items.1.n='x': ")


def test_first_only_and_custom_value_and_line() -> None:
    exc = _error({"items": "nope"})
    bad = BadInput.from_validation_error(
        exc, first=True, value=lambda e: "seen", line=lambda loc: len(loc) + 10
    )
    assert len(bad.problems) == 1
    p = bad.problems[0]
    assert (p.field, p.value, p.line, p.source) == ("name", "seen", 11, None)
    assert p.reason == "Field required"


def test_an_error_at_the_root_has_no_field() -> None:
    exc = _error("not a mapping")
    assert BadInput.from_validation_error(exc).problems[0].field is None


def test_a_long_value_and_field_are_quoted_short() -> None:
    line = str(BadInput.one("unknown key", field="all[0]." + "k" * 5000, value="v" * 5000))
    assert len(line) < 500 and line.endswith("…: unknown key")
    assert line.startswith("all[0].kkk") and "='vvv" in line
