"""Content per persona × channel: offline templates and the channel renderer.

Content is written per persona and channel, never per user: personal details enter only as
placeholders (``{name}``, ``{last_product}``, ``{offer}``, ``{brand}``, ``{unsubscribe_url}``)
filled at send time. The renderer turns a headline, an angle and a call to action into what
each channel needs (SMS signature and opt-out, push limits, email parts with an unsubscribe
link, template fields, a call script).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel

from userops.dispatch.models import CallBranch, CallScript, MessageContent


class Copy(BaseModel):
    """Channel-neutral copy for one persona: the parts every channel is rendered from."""

    headline: str
    """Title / subject / first line."""
    angle: str
    """The persona-specific message."""
    cta: str
    """Call to action."""
    call_reason: str = ""
    """Why we call (voice scripts)."""


@lru_cache(maxsize=4)
def templates(language: str) -> dict[str, Any]:
    """Return the offline template data of ``language`` (``zh`` or ``en``)."""
    text = resources.files("prompts").joinpath(f"templates/{language}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def template_copy(language: str, key: str, persona: str, *, arm: str = "a") -> Copy:
    """Return the template copy for objective template ``key`` and ``persona`` (A/B ``arm``)."""
    t = templates(language)
    obj = t["objectives"][key]
    angle = t["personas"].get(persona, t["personas"]["service"])
    headline = obj["headline_b"] if arm == "b" else obj["headline"]
    return Copy(headline=headline, angle=angle, cta=obj["cta"], call_reason=obj["call_reason"])


def _sep(language: str) -> tuple[str, str]:
    return ("，", "。") if language == "zh" else (", ", ". ")


def render(
    copy: Copy, channel: str, persona: str, language: str, variant_id: str, template_id: str
) -> MessageContent:
    """Render ``copy`` for ``channel`` with every part that channel's rules require."""
    t = templates(language)
    comma, stop = _sep(language)
    text = f"{copy.angle}{stop}{copy.cta}"
    base: dict[str, Any] = {
        "variant_id": variant_id,
        "channel": channel,
        "language": language,
        "persona": persona,
        "content_type": persona,
    }
    if channel == "sms":
        body = f"【{{brand}}】{copy.headline}{comma}{text} {t['sms_optout']}"
        return MessageContent(**base, body=body)
    if channel == "app_push":
        return MessageContent(**base, title=copy.headline[:40], body=text[:150])
    if channel == "email":
        footer = t["email_footer"]
        html = (
            f"<h1>{copy.headline}</h1><p>{copy.angle}{stop}</p><p><b>{copy.cta}</b></p>"
            f"<p><small>{footer.replace('{unsubscribe_url}', '')}"
            f'<a href="{{unsubscribe_url}}">{{unsubscribe_url}}</a></small></p>'
        )
        return MessageContent(**base, subject=copy.headline, body=f"{text}\n\n{footer}", html=html)
    if channel in ("wechat_template", "miniprogram"):
        fields = {"first": copy.headline[:40], "keyword1": copy.angle[:40], "remark": copy.cta[:40]}
        return MessageContent(**base, template_id=template_id, template_fields=fields, body=text)
    if channel == "voice_call":
        return MessageContent(**base, body=copy.headline, script=_script(copy, language))
    return MessageContent(**base, body=f"{copy.headline}{comma}{text}")


def _script(copy: Copy, language: str) -> CallScript:
    c = templates(language)["call"]
    said = {
        "zh": ("好的，说说看", "我现在在忙", "不需要"),
        "en": ("Sure, tell me more", "I'm busy right now", "Not interested"),
    }[language]
    return CallScript(
        opening=c["opening"].replace("{reason}", copy.call_reason),
        branches=[
            CallBranch(intent="interested", user_says=said[0], reply=c["interested"]),
            CallBranch(intent="busy", user_says=said[1], reply=c["busy"]),
            CallBranch(intent="not_interested", user_says=said[2], reply=c["not_interested"]),
        ],
        close=c["close"],
    )


def template_variants(
    language: str,
    key: str,
    personas: list[str],
    channels: list[str],
    *,
    ab_channels: tuple[str, ...] = (),
) -> list[MessageContent]:
    """Return one template variant per persona × channel (ids ``persona-channel``).

    Channels in ``ab_channels`` get a second variant ``persona-channel-b`` with the
    alternative headline; dispatch splits users between the two by hash.
    """
    out = []
    for persona in personas:
        for arm in ("a", "b"):
            copy = template_copy(language, key, persona, arm=arm)
            for channel in channels:
                if arm == "b" and channel not in ab_channels:
                    continue
                vid = f"{persona}-{channel}" + ("-b" if arm == "b" else "")
                out.append(render(copy, channel, persona, language, vid, f"TPL_{key}"))
    return out
