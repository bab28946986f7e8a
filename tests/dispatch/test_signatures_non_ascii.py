"""A forged signature with non-ASCII text is refused, never a TypeError (found by schemathesis)."""

from __future__ import annotations

import pytest

from userops.dispatch.adapters import webhook
from userops.dispatch.feedback import unsubscribe
from userops.errors import BadInput


@pytest.mark.parametrize("mac", ["\u0080", "签名", "\udcff"])
def test_unsubscribe_token_with_non_ascii_signature_is_bad_input(mac: str) -> None:
    with pytest.raises(BadInput) as err:
        unsubscribe.verify(f"0.{mac}", b"k" * 32)
    assert "signature" in str(err.value)


def test_webhook_signature_with_non_ascii_header_is_false() -> None:
    good = webhook.signature("s", "1", b"{}")
    assert webhook.verify("s", "1", b"{}", good)
    assert not webhook.verify("s", "1", b"{}", good[:-1] + "\u00e9")
