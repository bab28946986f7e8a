"""The sandbox's delivery payload is exactly ``json.dumps`` of the fields it records."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from userops.dispatch.adapters.base import OutgoingMessage
from userops.dispatch.sandbox import _PAYLOAD_FIELDS, _payload

_text = st.text(max_size=40)  # every code point: quotes, controls, surrogates' neighbours, CJK
_value = st.one_of(
    st.none(),
    _text,
    st.dictionaries(st.text(max_size=8), st.one_of(_text, st.integers()), max_size=3),
)


def _expected(content: dict[str, Any]) -> str:
    data = {f: content[f] for f in _PAYLOAD_FIELDS if content.get(f)}
    data["variant_id"] = content.get("variant_id")
    data["content_type"] = content.get("content_type")
    return json.dumps(data, ensure_ascii=False)


@given(
    st.fixed_dictionaries(
        {f: _value for f in _PAYLOAD_FIELDS},
        optional={"variant_id": st.one_of(st.none(), _text), "content_type": _text},
    )
)
def test_payload_is_the_json_of_its_fields(content: dict[str, Any]) -> None:
    msg = OutgoingMessage("c|s|1|sms", 1, "sms", "c", content, {})
    got = _payload(msg)
    assert got == _expected(content)
    assert json.loads(got) == json.loads(_expected(content))


def test_cjk_body_and_quotes() -> None:
    content = {"body": '【优选】"用户"\n，回T退订', "variant_id": "v1", "content_type": "tutorial"}
    msg = OutgoingMessage("c|s|1|sms", 1, "sms", "c", content, {})
    assert _payload(msg) == _expected(content)
    assert '"body": "【优选】\\"用户\\"\\n，回T退订"' in _payload(msg)
