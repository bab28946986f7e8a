"""Content per persona × channel: offline templates and the channel renderer.

Content is written per persona and channel, never per user: personal details enter only as
placeholders (``{name}``, ``{last_product}``, ``{offer}``, ``{brand}``, ``{unsubscribe_url}``)
filled at send time. The renderer turns a headline, an angle and a call to action into what
each channel needs (SMS signature and opt-out, push limits, email parts with an unsubscribe
link, template fields, a call script).
"""

from __future__ import annotations

import re
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


COPY_EXCLUSIONS: dict[str, re.Pattern[str]] = {
    "discount": re.compile(
        r"打折|折扣|\d\s*折|优惠|立减|满\s*\d+\s*减|减\s*\d|特价|降价|让利|discounts?|price cuts?"
        r"|markdowns?|\d+\s*% off|\$?\d+ off\b|\bsale\b|\{offer\}",
        re.I,
    ),
    "coupon": re.compile(
        r"券|红包|coupons?|vouchers?|promo codes?|discount codes?|\{offer\}", re.I
    ),
    "promotion": re.compile(
        r"促销|推销|广告|限时|抢购|特惠|promotions?|promotional|\bdeals?\b|limited[- ]time|\bads?\b"
        r"|\{offer\}",
        re.I,
    ),
    "gift": re.compile(r"礼|赠|gifts?|freebies?|\bfree\b|\{offer\}", re.I),
}
"""What each content exclusion rules out of the copy, in both languages; the ``{offer}``
placeholder (filled with a coupon, a discount or a gift at send time) counts for all."""


def excluded_words(text: str, exclusions: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Return, per excluded kind found in ``text``, the first words that break it."""
    out: dict[str, str] = {}
    for kind in exclusions:
        pattern = COPY_EXCLUSIONS.get(kind)
        m = pattern.search(text) if pattern else None
        if m:
            out[kind] = m.group(0)
    return out


@lru_cache(maxsize=4)
def templates(language: str) -> dict[str, Any]:
    """Return the offline template data of ``language`` (``zh`` or ``en``)."""
    text = resources.files("prompts").joinpath(f"templates/{language}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def template_copy(
    language: str,
    key: str,
    persona: str,
    *,
    arm: str = "a",
    exclude: tuple[str, ...] = (),
    tone: str | None = None,
) -> Copy:
    """Return the template copy for objective template ``key`` and ``persona`` (A/B ``arm``).

    ``exclude``: content kinds the copy must not contain (``discount``, ``gift``...): the
    objective's plain headline and call to action replace words that break them, and a
    persona angle that breaks them becomes the service angle. ``tone="friendly"`` uses the
    warmer persona angles.
    """
    t = templates(language)
    obj = t["objectives"][key]
    angles = t["friendly"] if tone == "friendly" else t["personas"]
    angle = angles.get(persona, angles["service"])
    if excluded_words(angle, exclude):
        angle = angles["service"]
    headline = obj["headline_b"] if arm == "b" else obj["headline"]
    cta = obj["cta"]
    if excluded_words(headline, exclude):
        headline = obj.get("headline_plain", headline)
    if excluded_words(cta, exclude):
        cta = obj.get("cta_plain", cta)
    return Copy(headline=headline, angle=angle, cta=cta, call_reason=obj["call_reason"])


def sentence(text: str, language: str) -> str:
    """``text`` ending as a sentence: a full stop unless it already ends with punctuation."""
    text = text.strip()
    if not text or text[-1] in ".!?。！？…":
        return text
    return text + ("。" if language == "zh" else ".")


def _line(copy: Copy, language: str) -> str:
    """Headline, angle and call to action as one line of running text."""
    if language == "zh":
        return f"{copy.headline}，{copy.angle}。{copy.cta}"
    return " ".join(sentence(p, language) for p in (copy.headline, copy.angle, copy.cta))


def render(
    copy: Copy, channel: str, persona: str, language: str, variant_id: str, template_id: str
) -> MessageContent:
    """Render ``copy`` for ``channel`` with every part that channel's rules require."""
    t = templates(language)
    text = f"{sentence(copy.angle, language)}{'' if language == 'zh' else ' '}{copy.cta}"
    if language != "zh":
        text = sentence(text, language)
    base: dict[str, Any] = {
        "variant_id": variant_id,
        "channel": channel,
        "language": language,
        "persona": persona,
        "content_type": persona,
    }
    if channel == "sms":
        optout = t["sms_optout"] if language == "zh" else sentence(t["sms_optout"], language)
        return MessageContent(**base, body=f"【{{brand}}】{_line(copy, language)} {optout}")
    if channel == "app_push":
        return MessageContent(**base, title=copy.headline[:40], body=text[:150].strip())
    if channel == "email":
        footer = t["email_footer"]
        html = (
            f"<h1>{copy.headline}</h1><p>{sentence(copy.angle, language)}</p>"
            f"<p><b>{copy.cta}</b></p>"
            f"<p><small>{footer.replace('{unsubscribe_url}', '')}"
            f'<a href="{{unsubscribe_url}}">{{unsubscribe_url}}</a></small></p>'
        )
        return MessageContent(**base, subject=copy.headline, body=f"{text}\n\n{footer}", html=html)
    if channel in ("wechat_template", "miniprogram"):
        fields = {"first": copy.headline[:40], "keyword1": copy.angle[:40], "remark": copy.cta[:40]}
        return MessageContent(**base, template_id=template_id, template_fields=fields, body=text)
    if channel == "voice_call":
        return MessageContent(**base, body=copy.headline, script=_script(copy, language))
    return MessageContent(**base, body=_line(copy, language))


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
    exclude: tuple[str, ...] = (),
    tone: str | None = None,
    suffix: str = "",
) -> list[MessageContent]:
    """Return one template variant per persona × channel (ids ``persona-channel``).

    Channels in ``ab_channels`` get a second variant ``persona-channel-b`` with the
    alternative headline; dispatch splits users between the two by hash. ``suffix`` is
    appended to every id (``-en``: the same copy for the recipients of another language);
    ``exclude`` and ``tone`` are :func:`template_copy`'s.
    """
    out = []
    for persona in personas:
        for arm in ("a", "b"):
            copy = template_copy(language, key, persona, arm=arm, exclude=exclude, tone=tone)
            for channel in channels:
                if arm == "b" and channel not in ab_channels:
                    continue
                vid = f"{persona}-{channel}" + ("-b" if arm == "b" else "") + suffix
                out.append(render(copy, channel, persona, language, vid, f"TPL_{key}"))
    return out
