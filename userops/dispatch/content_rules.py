"""Channel content rules, checked before anything is queued.

* SMS: brand signature ``【…】`` and opt-out text (回T退订 / Reply STOP); segment count by
  GSM-7 (160 single, 153 per part) or UCS-2 (70 single, 67 per part) encoding.
* App push: title and body length limits.
* Email: subject, HTML and text parts, an unsubscribe link.
* WeChat template / mini-program subscription: template id and fields.
* AI outbound call: a script with an opening, at least one branch and a close.
* Every channel: only known placeholders, and no contact data written into the copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from userops.dispatch.models import MessageContent
from userops.domain import CHANNELS
from userops.privacy import find_contact_data

PLACEHOLDERS = frozenset({"name", "last_product", "offer", "unsubscribe_url", "brand"})
"""Placeholders filled at send time; anything else in braces is refused."""

SMS_MAX_SEGMENTS = 4
PUSH_TITLE_MAX = 40
PUSH_BODY_MAX = 150
EMAIL_SUBJECT_MAX = 120
TEMPLATE_FIELD_MAX = 40

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")
_SIGNATURE = re.compile(r"【[^】]{2,12}】")
_OPT_OUT = re.compile(r"回T退订|退订回T|回TD退订|reply stop|text stop|stop to opt out", re.I)
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True)
class RuleViolation:
    """One broken content rule."""

    variant_id: str
    channel: str
    rule: str
    message: str


def sms_segments(text: str) -> int:
    """Return how many SMS segments ``text`` needs (GSM-7 160/153, UCS-2 70/67)."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        units = sum(2 if ch in _GSM7_EXT else 1 for ch in text)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def _texts(c: MessageContent) -> list[str]:
    parts = [c.subject or "", c.title or "", c.body, c.html or "", c.url or ""]
    parts += list(c.template_fields.values())
    if c.script:
        parts += [c.script.opening, c.script.close]
        parts += [b.reply for b in c.script.branches]
    return [p for p in parts if p]


def _common(c: MessageContent) -> list[str]:
    problems = []
    if c.channel not in CHANNELS:
        problems.append(f"unknown channel {c.channel!r}; known: {', '.join(CHANNELS)}")
    for text in _texts(c):
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                problems.append(
                    f"unknown placeholder {{{name}}}; allowed: {', '.join(sorted(PLACEHOLDERS))}"
                )
        for kind, value in find_contact_data(text):
            problems.append(f"contact data in the copy ({kind}: {value})")
    return problems


def _sms(c: MessageContent) -> list[str]:
    problems = []
    if not _SIGNATURE.search(c.body):
        problems.append("SMS needs the brand signature 【品牌】")
    if not _OPT_OUT.search(c.body):
        problems.append("SMS needs opt-out text (回T退订 / Reply STOP)")
    segments = sms_segments(c.body)
    if segments > SMS_MAX_SEGMENTS:
        problems.append(f"SMS is {segments} segments (max {SMS_MAX_SEGMENTS})")
    return problems


def _push(c: MessageContent) -> list[str]:
    problems = []
    if not c.title:
        problems.append("push needs a title")
    elif len(c.title) > PUSH_TITLE_MAX:
        problems.append(f"push title is {len(c.title)} characters (max {PUSH_TITLE_MAX})")
    if not c.body:
        problems.append("push needs a body")
    elif len(c.body) > PUSH_BODY_MAX:
        problems.append(f"push body is {len(c.body)} characters (max {PUSH_BODY_MAX})")
    return problems


def _email(c: MessageContent) -> list[str]:
    problems = []
    if not c.subject:
        problems.append("email needs a subject")
    elif len(c.subject) > EMAIL_SUBJECT_MAX:
        problems.append(f"email subject is {len(c.subject)} characters (max {EMAIL_SUBJECT_MAX})")
    if not c.html:
        problems.append("email needs an HTML part")
    if not c.body:
        problems.append("email needs a text part (body)")
    if "{unsubscribe_url}" not in (c.html or "") or "{unsubscribe_url}" not in c.body:
        problems.append("email needs an unsubscribe link ({unsubscribe_url}) in both parts")
    return problems


def _template(c: MessageContent) -> list[str]:
    problems = []
    if not c.template_id:
        problems.append(f"{c.channel} needs a template_id")
    if not c.template_fields:
        problems.append(f"{c.channel} needs template_fields")
    for key, value in c.template_fields.items():
        if len(value) > TEMPLATE_FIELD_MAX:
            problems.append(f"template field {key} is {len(value)} characters (max 40)")
    return problems


def _call(c: MessageContent) -> list[str]:
    s = c.script
    if s is None:
        return ["voice_call needs a script (opening, branches, close)"]
    problems = []
    if not s.opening.strip():
        problems.append("call script needs an opening")
    if not s.branches:
        problems.append("call script needs at least one branch")
    if not s.close.strip():
        problems.append("call script needs a close")
    return problems


def _text_only(c: MessageContent) -> list[str]:
    return [] if c.body else [f"{c.channel} needs a body"]


_RULES = {
    "sms": _sms,
    "app_push": _push,
    "email": _email,
    "wechat_template": _template,
    "miniprogram": _template,
    "voice_call": _call,
    "wecom": _text_only,
}


def check_content(content: MessageContent) -> list[RuleViolation]:
    """Return every content rule ``content`` breaks for its channel (empty when it is fine)."""
    rule = _RULES.get(content.channel)
    problems = _common(content) + (rule(content) if rule else [])
    return [
        RuleViolation(content.variant_id, content.channel, content.channel, p) for p in problems
    ]
