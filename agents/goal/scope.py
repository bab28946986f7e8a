"""What a negation, "only" or "then" word governs in a goal: the words right next to it.

A negation applies to a channel or a content word only when nothing but filler (verbs of
sending, pronouns, articles, other items of the same list) stands between them: in
``不要发短信`` and ``do not text them`` it does, in ``60天没下单的用户，发短信`` and
``have not ordered in 60 days with an SMS offer`` it does not. Fillers are stripped from the
end of the preceding text one at a time (bounded), then the last word is looked up, so every
pattern here is linear-time.
"""

from __future__ import annotations

import re

CLAUSE = re.compile(r"[^,，。.;；!！?？\n:：]+|[,，。.;；!！?？\n:：]")
"""Clauses and their separators (the text is normalized: full-width commas are folded)."""

_FILLER = re.compile(
    r"(?:\s+|发送|发|用|走|打|通过|使用|给|他们|她们|用户们?|客户们?|任何|渠道|的|也|再|了|去|来|都|一律"
    r"|提|附带|附上|送|带|加|和|与|或|及|、|/|\+|&|搞|有|含|包含|出现"
    r"|\bthem|\bhim|\bher|\bany|\ban?|\bthe|\buse|\busing|\bsend|\bsending|\bsent|\bvia|\bby"
    r"|\bthrough|\bover|\bon|\bwith|\bto|\breach|\bcontact|\bmessage|\bplease|\balso|\band|\bor"
    r"|\binclude|\bincluding|\boffer|\boffering|\bgive|\bmention|\badd|\bput|\bthem)$",
    re.I,
)
_NEG_END = re.compile(
    r"(?:不要|不用|别|不发|不能|禁止|不走|不许|不准|勿|避免|不通过|无需|不需要|不使用|不想|不可|千万别"
    r"|\bno|\bnot|n't|\bnever|\bavoid|\bwithout|\bexclude|\bexcluding|\bexcept(?: for)?|\bskip"
    r"|\bnor|\bstop|\bother than|\bbesides|\bnothing|除了?|除)$",
    re.I,
)
_NEG_AFTER = re.compile(
    r"\s*(?:就|也|都|一律|请)?\s*(?:不要|别|不用|不能|禁止|不许|不准|不发|免了|不可以|不行"
    r"|(?:is|are)?\s*(?:not allowed|off-limits|off limits|banned|out of the question))",
    re.I,
)
_EXCEPT_END = re.compile(
    r"(?:除了?|\bexcept(?: for)?|\bother than|\bbesides"
    r"|\b(?:anything|everything|any channel) but)$",
    re.I,
)
_EXCEPT_ONLY = re.compile(
    r"[^。.;；]{0,6}?(?:其他|其它|别的|其余)\s*(?:的)?(?:渠道)?\s*(?:都|一律|全|也)?\s*(?:不要|不用|别|不)"
    r"|[^.;]{0,6}?(?:nothing else|no other)",
    re.I,
)


def strip_fillers(text: str, extra: re.Pattern[str] | None = None, limit: int = 12) -> str:
    """``text`` without the filler words at its end (at most ``limit`` of them)."""
    for _ in range(limit):
        m = _filler_at_end(text, extra)
        if m is None:
            break
        text = text[: m.start()]
    return text


def _filler_at_end(text: str, extra: re.Pattern[str] | None) -> re.Match[str] | None:
    tail = max(0, len(text) - 24)  # fillers are short: a bounded window keeps this linear
    return _FILLER.search(text, tail) or (extra.search(text, tail) if extra else None)


def ends_with(
    pre: str,
    pattern: re.Pattern[str],
    extra: re.Pattern[str] | None = None,
    *,
    fillers: bool = True,
    limit: int = 12,
) -> bool:
    """Whether ``pre`` ends with ``pattern`` once up to ``limit`` fillers are peeled off.

    ``pattern`` is anchored with ``$``; it is tried before each filler is removed, so
    ``不用`` is a negation even though ``用`` is a filler. With ``fillers=False`` only
    ``extra`` is peeled off.
    """
    for _ in range(limit + 1):
        if pattern.search(pre, max(0, len(pre) - 24)):
            return True
        m = _filler_at_end(pre, extra) if fillers else _only(pre, extra)
        if m is None:
            return False
        pre = pre[: m.start()]
    return False


def _only(text: str, extra: re.Pattern[str] | None) -> re.Match[str] | None:
    return extra.search(text, max(0, len(text) - 24)) if extra else None


def negated_before(pre: str, extra: re.Pattern[str] | None = None) -> bool:
    """Whether ``pre`` (the text right before a word) ends with a negation of that word."""
    return ends_with(pre, _NEG_END, extra)


def negated_after(post: str) -> bool:
    """Whether ``post`` (the text right after a word) starts by refusing it (``短信不要发``)."""
    return bool(_NEG_AFTER.match(post))


def except_means_only(pre: str, following: str) -> bool | None:
    """``除了邮件，其他都不要`` is "only email"; ``除了短信都行`` is "not SMS"; else None."""
    if not ends_with(pre, _EXCEPT_END):
        return None
    return bool(_EXCEPT_ONLY.match(following))
