"""Content generation with a chat model: one structured call per persona × channel.

The model writes channel-neutral copy (headline, angle, call to action); the deterministic
renderer of :mod:`tools.content` adds what each channel requires (SMS signature and opt-out,
email unsubscribe link, template fields, call script). The number of model calls depends on
personas and channels only, never on the audience size. Drafts are cleaned: contact data is
redacted and unknown placeholders are dropped.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, ValidationError

from prompts.fence import Trusted
from prompts.loader import render_prompt
from tools.content import Copy, render, template_copy
from userops.dispatch.content_rules import PLACEHOLDERS
from userops.dispatch.models import MessageContent
from userops.llm import invoke_model
from userops.privacy import redact

PERSONA_HINTS = {
    "tutorial": "feature-focused: tutorials and explanations",
    "offer": "price-sensitive: offers and cost comparisons",
    "social": "social: short video, topics, what others share",
    "service": "private-domain: an exclusive advisor and community perks",
}
CHANNEL_RULES = {
    "sms": "short, one message, brand signature and opt-out are added for you",
    "app_push": "title at most 40 characters, body at most 150",
    "email": "subject and a short text; the unsubscribe link is added for you",
    "wechat_template": "template fields of at most 40 characters each",
    "miniprogram": "template fields of at most 40 characters each",
    "voice_call": "spoken: the reason for calling matters most",
    "wecom": "a friendly private message from an advisor",
}
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


class ContentDraft(BaseModel):
    """Copy for one persona on one channel."""

    headline: str = Field(max_length=80)
    """Title / subject / first line."""
    angle: str = Field(max_length=200)
    """The persona-specific message."""
    cta: str = Field(max_length=60)
    """Call to action."""
    call_reason: str = Field(default="", max_length=120)
    """Why we call (voice calls only)."""


def clean(text: str) -> str:
    """Redact contact data and drop placeholders that are not filled at send time."""
    text = redact(text)
    return _PLACEHOLDER.sub(lambda m: m.group(0) if m.group(1) in PLACEHOLDERS else "", text)


def generate_variants(
    model: BaseChatModel,
    *,
    language: str,
    objective: str,
    goal_text: str,
    personas: list[str],
    channels: list[str],
    knowledge: str = "",
    lessons: str = "",
) -> list[MessageContent]:
    """Write one variant per persona × channel with ``model`` (personas × channels calls)."""
    # Function calling, not json_schema: compatible servers (DeepSeek) reject the latter.
    runnable = model.with_structured_output(ContentDraft, method="function_calling")
    out: list[MessageContent] = []
    for persona in personas:
        for channel in channels:
            prompt = render_prompt(
                "content",
                language,
                objective=Trusted(objective),
                goal=goal_text,
                persona=Trusted(persona),
                persona_hint=Trusted(PERSONA_HINTS.get(persona, persona)),
                channel=Trusted(channel),
                channel_rules=Trusted(CHANNEL_RULES.get(channel, "")),
                knowledge=knowledge or "-",
                lessons=lessons or "-",
            )
            try:
                raw: Any = invoke_model(runnable, [HumanMessage(prompt)], what="content request")
                draft = raw if isinstance(raw, ContentDraft) else ContentDraft.model_validate(raw)
                copy = Copy(**{k: clean(v) for k, v in draft.model_dump().items()})
            except (ValidationError, OutputParserException):
                # An unreadable answer gets the reviewed template copy, never a retry storm.
                copy = template_copy(language, objective, persona)
            out.append(
                render(copy, channel, persona, language, f"{persona}-{channel}", f"TPL_{objective}")
            )
    return out
