"""What `userops chat` reads at an approval: decision words, and who may decide.

Decision words are read in English and Chinese (``approve``/``批准``, ``reject``/``驳回``,
``comment``/``留言``, ``skip``/``跳过``); when the person chatting may not approve
(separation of duties), the chat says why and who may.
"""

from __future__ import annotations

from typing import Any

_WORDS: dict[str, tuple[str, ...]] = {
    "approve": ("approve", "approved", "accept", "批准", "同意", "通过", "确认"),
    "reject": ("reject", "rejected", "deny", "decline", "驳回", "拒绝", "不同意", "不通过", "否决"),
    "respond": ("comment", "respond", "reply", "note", "留言", "评论", "备注", "回复"),
    "skip": ("skip", "later", "跳过", "稍后", "先不", "等等"),
}
"""Words that start a decision; what follows is its message (``reject too broad``)."""
_EXACT: dict[str, tuple[str, ...]] = {
    "approve": ("yes", "y", "ok", "okay", "lgtm", "好", "好的", "行", "可以", "没问题"),
    "reject": ("no", "n", "不行", "不可以"),
}
"""Words that are a decision only on their own (``no`` in ``no SMS`` is not a rejection)."""
_SEPARATORS = " \t:：,，。.!！;；-—"
_PREFIXES = sorted(((w, k) for k, ws in _WORDS.items() for w in ws), key=lambda x: -len(x[0]))

DECISION_HELP = (
    "approve [NOTE] | reject REASON | comment TEXT | skip  (批准 | 驳回 原因 | 留言 内容 | 跳过)"
)


def parse_decision(line: str) -> dict[str, Any] | None:
    """Return the decision ``line`` states (``type`` and ``message``), or ``None``.

    ``{"type": "skip"}`` leaves the approval pending. A rejection without a reason gets one
    saying so; a comment without text is no decision.
    """
    text = line.strip()
    low = text.lower()
    for kind, words in _EXACT.items():
        if low.rstrip(_SEPARATORS) in words:
            return _decision(kind, "")
    for word, kind in _PREFIXES:
        if not low.startswith(word):
            continue
        rest = text[len(word) :]
        if word.isascii() and rest[:1].isalnum():
            continue  # "approvement", "notes": another word
        return _decision(kind, rest.strip(_SEPARATORS))
    return None


def _decision(kind: str, message: str) -> dict[str, Any] | None:
    if kind == "skip":
        return {"type": "skip"}
    if kind == "reject":
        return {"type": "reject", "message": message or "rejected in chat"}
    if kind == "respond":
        return {"type": "respond", "message": message} if message else None
    return {"type": "approve", **({"message": message} if message else {})}


def who_may_decide(engine: Any, approval_id: str, actor: str, allow_self: bool) -> str | None:
    """Why ``actor`` may not approve ``approval_id`` and who may; ``None`` when they may."""
    from userops.accounts import APPROVER_ROLES, has_accounts, list_users
    from userops.approvals import records as approvals
    from userops.approvals.rules import check_actor
    from userops.errors import PolicyRefused

    rec = approvals.get(engine, approval_id)
    try:
        check_actor(engine, rec, "approve", actor, allow_self_approval=allow_self)
    except PolicyRefused as exc:
        why = str(exc)
    else:
        return None
    barred = {actor, rec.edited_by} | (set() if allow_self else {rec.requested_by})
    if has_accounts(engine):
        names = [
            u.name
            for u in list_users(engine)
            if u.role in APPROVER_ROLES and not u.disabled and u.name not in barred
        ]
        who = ", ".join(names) if names else "no enabled approver yet (userops users add)"
    else:
        who = "anyone else (no accounts are set up)"
    return (
        f"{why}.\nWho may approve: {who}.\n"
        f"They run: userops approvals approve {approval_id} --as NAME "
        f"(or userops chat --thread {rec.thread_id} --as NAME)"
    )
