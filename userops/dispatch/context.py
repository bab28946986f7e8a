"""Per-batch loading of what the policy needs about recipients, in a few set-based queries.

For a batch of user ids: the canonical user of each (``coalesce(merged_into, id)``), and for
every canonical user across all its records: time zone, language, name, do-not-contact (any
record), the latest consent per channel, contact data, and the user's recent marketing
messages (the frequency-cap "commitments").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, text

CHUNK = 5000
ADDRESS_FIELDS: dict[str, tuple[str, ...]] = {
    "sms": ("phone",),
    "voice_call": ("phone",),
    "email": ("email",),
    "app_push": ("device_id",),
    "wechat_template": ("wechat_openid",),
    "miniprogram": ("wechat_openid",),
    "wecom": ("wechat_unionid", "wechat_openid"),
    "webhook": (),
}
_CONTACT = ("phone", "email", "wechat_openid", "wechat_unionid", "device_id")


@dataclass(slots=True)
class UserCtx:
    """What the policy knows about one canonical user."""

    user_id: int
    tz: str = "Asia/Shanghai"
    language: str = "zh"
    name: str | None = None
    dnc: bool = False
    consent: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Latest ``(ts, status)`` per channel across all records."""
    contacts: dict[str, str] = field(default_factory=dict)
    commits: list[tuple[int, str]] = field(default_factory=list)
    """Other marketing messages of the user: ``(ts, channel)``."""

    def consent_status(self, channel: str) -> str | None:
        """``granted``, ``withdrawn`` or ``None`` (no row) on ``channel``."""
        got = self.consent.get(channel)
        return got[1] if got else None

    def address(self, channel: str) -> dict[str, str] | None:
        """Contact data for ``channel``, or ``None`` when the user is unreachable there."""
        fields = ADDRESS_FIELDS.get(channel)
        if fields is None:
            return None
        if not fields:
            return {}
        for f in fields:
            if f in self.contacts:
                return {f: self.contacts[f]}
        return None


def chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Yield ``seq`` in slices of ``size``."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


_USERS = text(
    "SELECT id, merged_into, timezone, language, name, do_not_contact, phone, email,"
    " wechat_openid, wechat_unionid, device_id FROM users"
    " WHERE id IN :ids OR merged_into IN :ids"
).bindparams(bindparam("ids", expanding=True))
_CONSENTS = text(
    "SELECT user_id, channel, status, ts FROM consents WHERE user_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def load_users(conn: Connection, ids: Iterable[int]) -> tuple[dict[int, int], dict[int, UserCtx]]:
    """Return ``(canonical id by given id, context by canonical id)``; unknown ids are absent."""
    wanted = list(dict.fromkeys(ids))
    rows: dict[int, Any] = {}
    for part in chunks(wanted):
        rows.update((r[0], r) for r in conn.execute(_USERS, {"ids": list(part)}))
    canon = {i: (rows[i][1] or i) for i in wanted if i in rows}
    missing = [c for c in set(canon.values()) if c not in rows]
    for part in chunks(missing):
        rows.update((r[0], r) for r in conn.execute(_USERS, {"ids": list(part)}))
    targets = set(canon.values())
    ctx = {c: UserCtx(c) for c in targets}
    members: dict[int, int] = {}
    for rid, r in rows.items():
        c = r[1] or rid
        u = ctx.get(c)
        if u is None:
            continue
        members[rid] = c
        if rid == c:
            u.tz, u.language, u.name = r[2] or u.tz, r[3] or u.language, r[4]
        u.dnc = u.dnc or bool(r[5])
        for k, v in zip(_CONTACT, r[6:11], strict=True):
            if v and (k not in u.contacts or rid == c):
                u.contacts[k] = v
    _load_consents(conn, members, ctx)
    return canon, ctx


def _load_consents(conn: Connection, members: dict[int, int], ctx: dict[int, UserCtx]) -> None:
    for part in chunks(list(members)):
        for uid, channel, status, ts in conn.execute(_CONSENTS, {"ids": list(part)}):
            u = ctx[members[uid]]
            got = u.consent.get(channel)
            new = (int(ts), status)
            # latest wins; on a tie a withdrawal wins (the safe reading)
            if got is None or new[0] > got[0] or (new[0] == got[0] and status == "withdrawn"):
                u.consent[channel] = new


_COMMITS = (
    "SELECT user_id, channel, state, sent_ts, not_before_ts, campaign_id, lease_owner, id"
    " FROM outbox WHERE user_id IN :ids AND marketing = :t AND ("
    "(state = 'sent' AND sent_ts > :since) OR state = 'sending'{pending})"
)


def load_commits(
    conn: Connection,
    ctx: dict[int, UserCtx],
    *,
    now: int,
    since: int,
    include_pending: bool = False,
    exclude_ids: set[int] | None = None,
) -> None:
    """Fill ``commits`` of every user in ``ctx`` with their other marketing messages.

    Counted: ``sent`` rows (at ``sent_ts``, after ``since``), ``sending`` rows (now), and,
    with ``include_pending`` (at enqueue), ``pending``/``deferred`` rows already queued by
    any campaign (at their due time), so that concurrent campaigns cannot both take one slot.
    """
    pending = " OR state IN ('pending', 'deferred')" if include_pending else ""
    params: dict[str, Any] = {"since": since, "t": True}
    stmt = text(_COMMITS.format(pending=pending)).bindparams(bindparam("ids", expanding=True))
    skip = exclude_ids or set()
    for part in chunks(list(ctx)):
        for uid, ch, state, sent_ts, nbt, _cid, _owner, oid in conn.execute(
            stmt, {**params, "ids": list(part)}
        ):
            if oid in skip:
                continue
            ts = sent_ts if state == "sent" else (now if state == "sending" else max(nbt, now))
            ctx[uid].commits.append((int(ts), ch))
