import pytest

from userops.dispatch.content_rules import check_content, sms_segments
from userops.dispatch.models import CallBranch, CallScript, MessageContent


def sms(body: str) -> MessageContent:
    return MessageContent(variant_id="v", channel="sms", body=body)


def rules(c: MessageContent) -> list[str]:
    return [v.message for v in check_content(c)]


def test_sms_needs_signature_and_opt_out() -> None:
    assert rules(sms("【优选】{name}，您的专属券已到账，回T退订")) == []
    assert any("signature" in m for m in rules(sms("{name}，您的专属券已到账，回T退订")))
    assert any("opt-out" in m for m in rules(sms("【优选】{name}，您的专属券已到账")))
    assert rules(sms("[Acme] 【Acme】 Hi {name}, new arrivals. Reply STOP to opt out")) == []


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("{" * 80, 1),
        ("{" * 81, 2),
    ],
)
def test_sms_segment_count(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


def test_sms_too_long_is_refused() -> None:
    body = "【优选】" + "很" * 300 + "回T退订"
    assert any("segments" in m for m in rules(sms(body)))


def test_unknown_placeholder_and_contact_data_refused() -> None:
    found = rules(sms("【优选】{phone} 请致电 13812345678 回T退订"))
    assert any("unknown placeholder {phone}" in m for m in found)
    assert any("contact data" in m for m in found)


def test_push_limits() -> None:
    ok = MessageContent(variant_id="p", channel="app_push", title="新品上架", body="看看吧")
    assert rules(ok) == []
    long = ok.model_copy(update={"title": "x" * 41, "body": "y" * 151})
    assert len(rules(long)) == 2
    assert rules(ok.model_copy(update={"title": None}))


def test_email_parts_and_unsubscribe() -> None:
    ok = MessageContent(
        variant_id="e",
        channel="email",
        subject="Hi {name}",
        body="text {unsubscribe_url}",
        html="<p>hi</p><a href='{unsubscribe_url}'>unsubscribe</a>",
    )
    assert rules(ok) == []
    assert any("unsubscribe" in m for m in rules(ok.model_copy(update={"html": "<p>hi</p>"})))
    assert any("subject" in m for m in rules(ok.model_copy(update={"subject": None})))


def test_wechat_template_fields() -> None:
    c = MessageContent(
        variant_id="w",
        channel="wechat_template",
        template_id="T1",
        template_fields={"thing1": "会员专享", "time2": "12月1日"},
    )
    assert rules(c) == []
    assert rules(c.model_copy(update={"template_id": None, "template_fields": {}}))


def test_call_script_structure() -> None:
    script = CallScript(
        opening="您好，我是优选的客服",
        close="感谢接听",
        branches=[CallBranch(intent="interested", user_says="好的", reply="稍后发券")],
    )
    ok = MessageContent(variant_id="c", channel="voice_call", script=script)
    assert rules(ok) == []
    assert rules(ok.model_copy(update={"script": None}))
    empty = script.model_copy(update={"branches": [], "close": " "})
    assert len(rules(ok.model_copy(update={"script": empty}))) == 2
