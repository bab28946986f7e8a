"""The blast arm's fallback sends its one content to everyone, never per persona."""

from __future__ import annotations

from agents.nodes.delivery import split_blast
from userops.dispatch.models import DispatchStep, FallbackRule, MessageContent


def _c(vid: str, channel: str, persona: str) -> MessageContent:
    return MessageContent(
        variant_id=vid, channel=channel, title="t", body="b", content_type=persona, persona=persona
    )


def test_blast_fallback_drops_the_persona_map() -> None:
    contents = {
        f"{p}-{ch}": _c(f"{p}-{ch}", ch, p)
        for p in ("offer", "tutorial")
        for ch in ("app_push", "sms")
    }
    fb = FallbackRule(
        channel="sms",
        variant_id="offer-sms",
        variant_by_persona={"offer": "offer-sms", "tutorial": "tutorial-sms"},
    )
    step = DispatchStep(
        campaign_id="c1",
        step_id="s1",
        contents=contents,
        assignments=[
            (u, "app_push", f"{'offer' if u % 3 else 'tutorial'}-app_push") for u in range(200)
        ],
        fallback=fb,
    )
    main, blast = split_blast(step, 0.5)
    assert main.fallback == fb  # the personalized arm keeps its per-persona fallback
    assert blast.fallback is not None
    assert blast.fallback.variant_by_persona == {} and blast.fallback.variant_id == "blast-sms"
    assert blast.contents["blast-sms"].content_type == "offer"  # the majority persona's SMS
