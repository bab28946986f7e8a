"""Placeholder values cleaned before they enter a message: one function for send and preview.

A value filled into copy at send time (``{name}``, ``{last_product}``, ``{offer}``,
``{brand}``) comes from imported data or a plan, never from reviewed copy, so it is untrusted.
:func:`clean_value` is the only way such a value reaches a message: the renderer
(:class:`userops.dispatch.render.Template`) calls it at send time and the approval card's
previews render through the same template, so an approver sees exactly what is sent.

A value is refused (replaced by a neutral word in the recipient's language, e.g. the
salutation 您 / there for a name) when it holds contact data (a phone number, an e-mail
address, a URL, a long id), instruction-like text (prompt-injection phrases, calls to act, a
sentence instead of a name, markup or braces), or is longer than its cap. Control characters,
bidi overrides and other invisible format characters are removed and whitespace (newlines
included) collapses to single spaces first. Every check is a character scan or a pattern with
bounded quantifiers over at most :data:`SCAN_MAX` characters: linear time whatever the input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

LANGUAGES = ("zh", "en")
FALLBACK: dict[str, dict[str, str]] = {
    "name": {"zh": "您", "en": "there"},
    "last_product": {"zh": "您喜欢的商品", "en": "your favourites"},
    "offer": {"zh": "专属优惠", "en": "a special offer"},
    "brand": {"zh": "品牌", "en": "Brand"},
}
"""The neutral word a refused (or missing) value becomes, per placeholder and language."""
CAPS = {"name": 32, "last_product": 60, "offer": 60, "brand": 12}
"""Longest accepted value per placeholder (characters, after cleaning); longer is refused."""
WORDS_MAX = {"name": 4, "last_product": 10, "offer": 8, "brand": 3}
"""More words than this is a sentence, not a value."""
PASS_THROUGH = frozenset({"unsubscribe_url"})
"""Values the platform builds itself (never imported): filled as they are."""
SCAN_MAX = 256
"""Only this many characters are ever looked at: longer input is refused unread."""

_SPACE = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_MARKUP = frozenset("<>{}[]\\|`=@＠")
_NAME_MARKUP = frozenset(':;：；/_*#"“”()（）')
_SENTENCE = frozenset("!?！？。…")
_URL = re.compile(
    r"(?i)://|\bwww\.|\b[a-z0-9-]{1,63}\.(?:com|cn|net|org|io|me|ly|co|app|xyz|top|info|biz"
    r"|link|site|shop|vip|ru|tk|gl|gd|cc|ai|to)\b"
)
_DIGITS = re.compile(r"\d(?:[\s().+\-]{0,2}\d){6}")
"""Seven digits, separators allowed between them: a phone number or an account id."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""A run of 16 letters/digits: an openid, a device id, a token when it mixes both."""
_EN_WORDS = frozenset(
    "ignore ignoring disregard forget previous instruction instructions prompt prompts system"
    " assistant override jailbreak password verify verification account login click visit"
    " call reply text send transfer wire bitcoin refund prize winner urgent unsubscribe"
    " http https link admin developer".split()
)
_ZH_PHRASES = (
    "忽略", "无视", "指令", "提示词", "系统", "之前", "以上", "上述", "点击", "回复", "转账",
    "汇款", "验证码", "链接", "客服", "退订", "中奖", "加微信", "微信", "联系", "拨打", "电话",
    "账户", "账号", "密码", "网址", "官网", "助手", "扮演",
)  # fmt: skip
_WORD = re.compile(r"[a-z]{1,40}")
_ZH_FIRST = frozenset(p[0] for p in _ZH_PHRASES)
"""A value without any of these characters holds none of the phrases (a set test first)."""
_NAME_STOP = _NAME_MARKUP | _SENTENCE


def recipient_language(language: str | None) -> str:
    """The language used for a recipient's fallbacks (``zh`` unless ``en``)."""
    return language if language in LANGUAGES else "zh"


def _normalize(raw: str) -> str:
    if raw.isprintable():  # no control, format or line/paragraph separator: nothing to drop
        return " ".join(raw.split())
    kept = []
    for ch in raw:
        if ch in _SPACE:
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C":  # controls, bidi/format, surrogates, unassigned
            kept.append(ch)
    return " ".join("".join(kept).split())


def _mixed(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def refusal(kind: str, value: str) -> str | None:
    """Why ``value`` (already normalized) may not fill ``{kind}``, or ``None`` when it may."""
    if len(value) > CAPS.get(kind, 40):
        return "too long"
    # the set tests below skip a pattern only where it cannot match (a URL needs "." or ":",
    # a token 16 characters): same answers, a fraction of the time per recipient
    if ("." in value or ":" in value) and _URL.search(value):
        return "url"
    if _DIGITS.search(value):
        return "phone or id"
    if len(value) >= 16 and any(_mixed(t) for t in _TOKEN.findall(value)):
        return "id"
    if not _MARKUP.isdisjoint(value):
        return "markup or e-mail"
    if kind == "name" and not _NAME_STOP.isdisjoint(value):
        return "not a name"
    if len(value.split()) > WORDS_MAX.get(kind, 4):
        return "sentence"
    lower = value.lower()
    if not _EN_WORDS.isdisjoint(_WORD.findall(lower)):
        return "instruction-like"
    if not _ZH_FIRST.isdisjoint(value) and any(p in value for p in _ZH_PHRASES):
        return "instruction-like"
    return None


@lru_cache(maxsize=8192)
def clean_value(kind: str, raw: str | None, language: str | None) -> str:
    """Return what fills ``{kind}`` for a recipient in ``language`` given the stored ``raw``.

    The cleaned ``raw``, or the neutral fallback of ``kind`` when ``raw`` is missing, empty
    after cleaning, or refused (:func:`refusal`). Placeholders in :data:`PASS_THROUGH` are
    filled as they are; unknown ones are only stripped of control and bidi characters.
    """
    lang = recipient_language(language)
    fallback = FALLBACK.get(kind, {}).get(lang, "")
    if raw is None:
        return fallback
    if kind in PASS_THROUGH:
        return raw
    if len(raw) > SCAN_MAX:
        return fallback
    value = _normalize(raw)
    if kind not in FALLBACK:
        return value
    return fallback if not value or refusal(kind, value) else value


def clean_values(values: Mapping[str, str | None], language: str | None) -> dict[str, str]:
    """:func:`clean_value` over every placeholder value of one message."""
    return {k: clean_value(k, v, language) for k, v in values.items()}
