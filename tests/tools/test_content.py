import pytest

from agents.planning.playbooks import PERSONAS
from tools.content import template_variants
from tools.content_llm import clean
from userops.dispatch.content_rules import check_content
from userops.domain import CHANNELS
from userops.plan import Objective


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("objective", [o.value for o in Objective] + ["win_back_churned"])
def test_every_template_passes_channel_rules(language, objective):
    channels = [c for c in CHANNELS if c != "webhook"]
    variants = template_variants(
        language, objective, list(PERSONAS), channels, ab_channels=tuple(channels)
    )
    assert len(variants) == 2 * len(PERSONAS) * len(channels)
    by_id = {v.variant_id: v for v in variants}
    for v in variants:
        if v.variant_id.endswith("-b"):
            a = by_id[v.variant_id[:-2]]
            assert a.model_dump(exclude={"variant_id"}) != v.model_dump(exclude={"variant_id"})
    assert [(v.variant_id, check_content(v)) for v in variants if check_content(v)] == []
    sms = [v for v in variants if v.channel == "sms"]
    opt_out = "回T退订" if language == "zh" else "Reply STOP"
    assert all(v.body.startswith("【{brand}】") and opt_out in v.body for v in sms)


def test_personas_get_different_copy():
    variants = template_variants("en", "win_back", list(PERSONAS), ["app_push"])
    assert len({v.body for v in variants}) == len(PERSONAS)


def test_clean_drops_contact_data_and_unknown_placeholders():
    out = clean("Hi {name}, call 13800138000 or mail a@b.com, your {phone} and {offer}")
    assert "13800138000" not in out and "a@b.com" not in out
    assert "{phone}" not in out and "{name}" in out and "{offer}" in out
