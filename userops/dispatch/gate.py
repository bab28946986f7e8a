"""The second gate: the policy again, right before the adapter, then rendering.

State may have changed since enqueue (consent withdrawn, do-not-contact set, another
campaign sent, quiet hours started, the step's send window closed): claimed rows are
decided again with only what has really been sent counting against the caps. Only rows
that pass are rendered and handed to an adapter; nothing else can reach one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from userops.dispatch.adapters.base import OutgoingMessage
from userops.dispatch.context import UserCtx, chunks, load_commits, load_users
from userops.dispatch.decide import decide
from userops.dispatch.outbox import CONTENT_ENTITY, Claimed, get_record
from userops.dispatch.policy import Policy
from userops.dispatch.render import BadContent, Template, unsubscribe_url
from userops.dispatch.window import stored_bounds


@dataclass
class GateOutcome:
    """Rows that may be sent now (with their rendered message) and the other moves."""

    send: list[tuple[Claimed, OutgoingMessage]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)
    """Transitions for :func:`userops.dispatch.outbox.transition`."""


def _move(row: Claimed, state: str, nbt: int, reason: str | None) -> dict[str, Any]:
    return {"id": row.id, "state": state, "nbt": nbt, "reason": reason, "tries": 0}


def last_products(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The first item's name of each user's newest order (raw: cleaned when filled)."""
    stmt = text(
        "SELECT user_id, properties FROM events WHERE type = 'order' AND user_id IN :ids"
        " ORDER BY ts"
    ).bindparams(bindparam("ids", expanding=True))
    out: dict[int, str] = {}
    for part in chunks(ids):
        for uid, props in conn.execute(stmt, {"ids": list(part)}):
            p = props if isinstance(props, dict) else json.loads(props or "{}")
            items = p.get("items") or []
            if items and items[0].get("name"):
                out[uid] = str(items[0]["name"])
    return out


def gate(conn: Connection, rows: list[Claimed], policy: Policy, now: int) -> GateOutcome:
    """Decide every claimed row again and render the ones that may go now."""
    out = GateOutcome()
    canon, ctx = load_users(conn, [r.user_id for r in rows])
    if any(r.marketing for r in rows):
        load_commits(
            conn,
            ctx,
            now=now,
            since=now - policy.frequency_caps.longest_s,
            exclude_ids={r.id for r in rows},
        )
    records = {}
    for r in rows:
        ref = r.content.get("ref", "")
        if ref not in records:
            records[ref] = get_record(conn, CONTENT_ENTITY, ref)
    templates = {ref: Template(rec["content"]) for ref, rec in records.items() if rec}
    need_product = {ref for ref, t in templates.items() if "last_product" in t.needs}
    products = (
        last_products(conn, [canon.get(r.user_id, r.user_id) for r in rows]) if need_product else {}
    )
    for r in rows:
        u = ctx.get(canon.get(r.user_id, -1))
        if u is None:
            out.moves.append(_move(r, "suppressed", now, "unknown_user"))
            continue
        window = stored_bounds(r.content)  # the step's send window, checked again here
        action, ts, reason = decide(
            u, r.channel, r.marketing, now, policy, symmetric=False, window=window
        )
        if action == "defer":
            out.moves.append(_move(r, "deferred", ts, reason))
            continue
        if action == "suppress":
            out.moves.append(_move(r, "suppressed", now, reason))
            continue
        rec = records.get(r.content.get("ref", ""))
        if rec is None:
            out.moves.append(_move(r, "failed", now, "missing_content"))
            continue
        ref = r.content.get("ref", "")
        product = products.get(u.user_id) if ref in need_product else None
        try:
            msg = _message(r, u, rec, templates[ref], product)
        except BadContent:
            out.moves.append(_move(r, "failed", now, "bad_content"))
            continue
        if r.marketing:
            u.commits.append((now, r.channel))
        out.send.append((r, msg))
    return out


def message_values(
    name: str | None, fill: dict[str, str], product: str | None
) -> dict[str, str | None]:
    """The raw placeholder values of one recipient's message (cleaned by the template's fill).

    The approval card's previews use it too, so a preview shows what the worker sends.
    """
    return {"name": name, "last_product": product, **fill}


def sample_recipients(
    engine: Engine, ids: list[int]
) -> tuple[dict[int, int], dict[int, UserCtx], dict[int, str]]:
    """Load what a preview fills for ``ids``: canonical ids, user contexts, last products.

    The same reads as the send path (:func:`load_users`, :func:`last_products`), for the
    approval card's previews.
    """
    if not ids:
        return {}, {}, {}
    with engine.connect() as conn:
        canon, ctx = load_users(conn, ids)
        products = last_products(conn, sorted(set(canon.values())))
    return canon, ctx, products


def send_values(
    key: str, name: str | None, fill: dict[str, str], product: str | None, needs: set[str]
) -> dict[str, str | None]:
    """Every placeholder value of the message with idempotency key ``key``.

    :func:`message_values` and, when the content uses it (``needs``), the recipient's signed
    unsubscribe link (``USEROPS_PUBLIC_URL/unsubscribe/<token>``). The approval card's
    previews call it with the key the message will have, so they show the link that is sent.
    """
    values = message_values(name, fill, product)
    if "unsubscribe_url" in needs:  # a hash per message: only when the content uses it
        values["unsubscribe_url"] = unsubscribe_url(key)
    return values


def _message(
    r: Claimed, u: UserCtx, rec: dict[str, Any], tpl: Template, product: str | None
) -> OutgoingMessage:
    values = send_values(r.key, u.name, rec.get("fill", {}), product, tpl.needs)
    return OutgoingMessage(
        idempotency_key=r.key,
        user_id=u.user_id,
        channel=r.channel,
        campaign_id=r.campaign_id,
        content=tpl.fill(values, u.language),
        address=u.address(r.channel) or {},
    )
