"""Scenario file fuzzing: mutated YAML loads, or the error names the file and the field.

Starts from the real scenario files, then deletes keys, replaces values anywhere with
random JSON, adds unknown keys, or cuts / garbles the text. ``load_scenario`` must return a
scenario or raise :class:`BadInput` naming the file, and the field (for a mapping) or the
line (for YAML that does not parse); no other exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from evals.loader import load_scenario
from tests.fuzz.strategies import FUZZ, mutate
from userops.errors import BadInput

FILES = sorted((Path(__file__).parents[2] / "evals" / "scenarios").glob("*.yaml"))
ORIGINALS = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES}


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(ORIGINALS)), garble=st.booleans())
def test_mutated_scenario_loads_or_names_file_and_field(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, name: str, garble: bool
) -> None:
    doc = mutate(data, ORIGINALS[name])
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if garble:  # cut the text somewhere and/or insert random characters
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.text(max_size=6))
    path = tmp_path_factory.mktemp("sc") / name
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except BadInput as exc:
        assert exc.problems
        parsed = _parsed(text)
        for p in exc.problems:
            assert p.source == str(path) and p.reason, str(p)
            if isinstance(parsed, dict) and parsed:
                assert p.field, str(p)  # a mapping: the field is named
            elif p.reason.startswith("invalid YAML"):
                assert p.line is not None, str(p)


def _parsed(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def test_real_scenarios_load() -> None:
    assert len(FILES) >= 10
    for path in FILES:
        assert load_scenario(path).id == ORIGINALS[path.name]["id"]
