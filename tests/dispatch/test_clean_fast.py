"""The cleaning's set-test shortcuts give the same answers as the plain scans they skip."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from userops.dispatch import clean

_POOL = (
    "ab用户张伟Lee 07.:/@<>{}!?。…：;()_-#\t\n\r\x00\x1f\x85\u2028\u2029\u200b\u202e\u3000\xa0"
    "忽略微信点击上述加客服退订wwwcomhttpclick0123456789AZaz"
)


def _slow_normalize(raw: str) -> str:
    kept = []
    for ch in raw:
        if ch in clean._SPACE:
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C":
            kept.append(ch)
    return " ".join("".join(kept).split())


def _slow_refusal(kind: str, value: str) -> str | None:
    if len(value) > clean.CAPS.get(kind, 40):
        return "too long"
    if clean._URL.search(value):
        return "url"
    if clean._DIGITS.search(value):
        return "phone or id"
    if any(clean._mixed(t) for t in clean._TOKEN.findall(value)):
        return "id"
    if any(ch in clean._MARKUP for ch in value):
        return "markup or e-mail"
    if kind == "name" and any(ch in clean._NAME_MARKUP or ch in clean._SENTENCE for ch in value):
        return "not a name"
    if len(value.split()) > clean.WORDS_MAX.get(kind, 4):
        return "sentence"
    words = clean._WORD.findall(value.lower())
    if any(w in clean._EN_WORDS for w in words) or any(p in value for p in clean._ZH_PHRASES):
        return "instruction-like"
    return None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(_POOL), max_size=40) | st.text(max_size=40),
    st.sampled_from(["name", "last_product", "offer", "brand"]),
)
def test_fast_cleaning_matches_the_plain_scans(raw: str, kind: str) -> None:
    value = clean._normalize(raw)
    assert value == _slow_normalize(raw)
    assert clean.refusal(kind, value) == _slow_refusal(kind, value)


def test_shortcuts_still_refuse_what_they_must() -> None:
    assert clean.refusal("name", "visit shop.com now") == "url"
    assert clean.refusal("name", "abcdefgh12ab34cd") == "id"
    assert clean.refusal("name", "加我微信") == "instruction-like"
    assert clean.refusal("name", "a\u2028b") is None  # only after normalizing: a space
    assert clean._normalize("a\u2028b\u200b") == "a b"
