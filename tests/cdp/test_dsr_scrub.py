"""The scrubber that takes one person out of free text and nested values."""

from __future__ import annotations

import time
from dataclasses import dataclass

from langchain_core.messages import AIMessage, ToolMessage

from userops.cdp.dsr.scrub import REPLACEMENT, Scrubber


def test_names_match_as_words_and_case_insensitively() -> None:
    s = Scrubber(["User1", "王芳"], [1])
    assert s.text("Hi user1, and User10 too") == f"Hi {REPLACEMENT}, and User10 too"
    assert s.text("王芳您好") == f"{REPLACEMENT}您好"
    unchanged = "nothing here"
    assert s.text(unchanged) is unchanged


def test_ids_under_id_keys_go_in_values_and_inside_json_text() -> None:
    s = Scrubber([], [42])
    value = {"sample_user": {"user_id": 42, "n": 42}, "user_id": 420, "flag": True}
    assert s.scrub(value) == {"sample_user": {"user_id": 0, "n": 42}, "user_id": 420, "flag": True}
    assert s.text('[{"user_id": 42, "x": 1}, {"user_id":420}]') == (
        '[{"user_id": 0, "x": 1}, {"user_id":420}]'
    )
    untouched = {"a": [1, "b", (2, "c")]}
    assert s.scrub(untouched) is untouched


def test_short_numbers_and_single_characters_are_not_needles() -> None:
    s = Scrubber(["10023", "李", "+86 139 1234 5678"], [])
    assert s.needles == ["+86 139 1234 5678"]
    assert s.text("order 10023 for 李") == "order 10023 for 李"


@dataclass(frozen=True)
class Hit:
    user_id: int
    summary: str


def test_messages_and_dataclasses_are_copied_with_the_person_out() -> None:
    s = Scrubber(["Zhang Wei", "loves hand-drip coffee"], [7])
    msg = AIMessage(content="Sample: Zhang Wei", additional_kwargs={"user_id": 7})
    out = s.scrub(msg)
    assert out.content == f"Sample: {REPLACEMENT}" and out.additional_kwargs == {"user_id": 0}
    assert msg.content == "Sample: Zhang Wei"  # the original is not changed
    tool = ToolMessage(
        content='{"user_id": 7, "summary": "loves hand-drip coffee"}', tool_call_id="1"
    )
    assert s.scrub(tool).content == f'{{"user_id": 0, "summary": "{REPLACEMENT}"}}'
    hit = (Hit(7, "loves hand-drip coffee"),)
    assert s.scrub(hit) == (Hit(7, REPLACEMENT),)
    same = AIMessage(content="nobody")
    assert s.scrub(same) is same


def test_find_lists_the_leaves_and_patterns_cover_json_escapes() -> None:
    s = Scrubber(["王芳"], [9])
    card = {"previews": [{"sample_user": {"user_id": 9, "name": "王芳"}, "body": "hi"}]}
    assert list(s.find(card)) == [
        ("previews[0].sample_user.user_id", 9),
        ("previews[0].sample_user.name", "王芳"),
    ]
    pats = s.like_patterns()
    assert "%王芳%" in pats and "%\\\\u738b\\\\u82b3%" in pats
    assert '%"user\\_id": 9,%' in pats


def test_a_long_hostile_text_is_scanned_in_linear_time() -> None:
    s = Scrubber([f"name{i:02d}x" for i in range(11)] + ["a" * 50 + "b"], [1])  # one person
    text = "a" * 200_000 + '"user_id": ' * 5_000
    start = time.perf_counter()
    assert s.text(text) is text
    assert time.perf_counter() - start < 2.0
