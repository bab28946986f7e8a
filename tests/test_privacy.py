import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from userops.privacy import find_contact_data, redact


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call me at 13812345678 please", "phone"),
        ("我的手机 +86 138-1234-5678", "phone"),
        ("US: +1 (415) 555-2671", "phone"),
        ("mail li.lei@example.com now", "email"),
        ("openid oAbCdEfGhIjKlMnOpQrStUvWxYz0 leaked", "wechat_id"),
    ],
)
def test_contact_data_is_found_and_redacted(text: str, kind: str) -> None:
    found = find_contact_data(text)
    assert kind in {k for k, _ in found}
    assert find_contact_data(redact(text)) == []


@pytest.mark.parametrize(
    "text", ["预算5000元，60天未下单", "Save 20% on orders over $150 until 2026-12-01", "回T退订"]
)
def test_ordinary_numbers_are_not_contact_data(text: str) -> None:
    assert find_contact_data(text) == []
    assert redact(text) == text


_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_PHONE = r"(?<!\d)(?:\+?\d[\d\s().-]{8,}\d)(?!\d)"
_WECHAT = r"\bo[A-Za-z0-9_-]{27}\b"


def _reference(text: str) -> list[tuple[str, str]]:
    """The scanner as it was: three patterns (quadratic on long runs, fine on short text)."""
    found = [("email", m.group(0)) for m in re.finditer(_EMAIL, text)]
    found += [
        ("phone", m.group(0))
        for m in re.finditer(_PHONE, text)
        if sum(c.isdigit() for c in m.group(0)) >= 10
    ]
    return found + [("wechat_id", m.group(0)) for m in re.finditer(_WECHAT, text)]


@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "Z",
                "1",
                "9",
                ".",
                "@",
                "-",
                "_",
                "+",
                " ",
                "(",
                "o",
                "中",
                "com",
                "li.lei@example.com",
                "13812345678",
                "oAbCdEfGhIjKlMnOpQrStUvWxYz0",
            ]
        ),
        max_size=40,
    ).map("".join)
)
@settings(max_examples=400, deadline=None)
def test_scanner_finds_what_the_patterns_found(text: str) -> None:
    assert find_contact_data(text) == _reference(text)
    assert find_contact_data(redact(text)) == []


ADVERSARIAL = ["a", "a.", "a@", "1 ", "1(", "o", "a@a.", "+1", "@a", "a-"]


def _scan_seconds(n: int) -> float:
    """CPU seconds of this process (a loaded machine does not count against the scanner)."""
    t0 = time.process_time()
    for unit in ADVERSARIAL:
        text = (unit * n)[:n]
        find_contact_data(text)
        redact(text)
    return time.process_time() - t0


def test_scanner_is_linear_on_adversarial_text() -> None:
    """1 MB without an ``@`` (or with nothing but) took minutes with ``[...]+@``.

    The bound is on growth, not speed: 10x the text may take at most 30x the CPU time
    (the quadratic pattern took 100x), and a generous ceiling catches a hang.
    """
    small, large = _scan_seconds(100_000), _scan_seconds(1_000_000)
    assert large < 60.0, f"1 MB adversarial scans took {large:.1f} CPU s"
    assert large < 30 * max(small, 0.01), f"100k: {small:.3f} s, 1M: {large:.3f} s"
