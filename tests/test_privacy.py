import pytest

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
