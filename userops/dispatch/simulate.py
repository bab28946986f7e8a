"""Simulated receipts and responses of the sandbox channel, from the hidden propensities.

The causal model is the seed's (:mod:`userops.cdp.sample.messages`), from the user's hidden
``attributes`` only (never from the plan or its claims). For every sandbox delivery,
deterministically per ``(seed, idempotency key)``: delivered seconds later; opened with
P(open) = ``propensity.channel[channel]``, minutes to hours later; clicked with
P(click | open) = ``propensity.content[content_type]`` of the message's content type;
converted (a ``message_converted`` event and an ``order`` carrying the campaign id) with
P(convert | click) = ``base_conversion``, within days; a few replies; a small opt-out rate
that also withdraws the channel consent. Personalization therefore matters only through
content fit: a user who prefers tutorials clicks, and so buys, more after a tutorial.

Organic orders happen whatever the messages: each ``(campaign, user)`` pair, treatment and
holdout alike, draws once (``organic_rate`` from the attributes, else :data:`ORGANIC_P`)
for an order within a week of the user's first assignment in the campaign. One draw per
pair, not per step membership, so a user who also got a fallback or follow-up has no extra
chance: organic orders cancel out of the uplift over the holdout.
Events carry deterministic ``dedupe_key``s: calling again with a later ``until_ts`` adds
only what has newly "happened" (fast-forward for the demo).
Only on a store marked simulated (:mod:`userops.store.meta`): on any other store
:func:`simulate_responses` refuses and writes nothing, whoever calls it.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from userops.dispatch.context import chunks
from userops.store.meta import require_simulated

DAY = 86400
HORIZON = 14 * DAY
DEFAULT_CHANNEL_P = 0.15
DEFAULT_CONTENT_P = 0.10
DEFAULT_BASE = 0.02
"""P(convert | click) when the attributes have no ``base_conversion``."""
ORGANIC_P = 0.02
"""P(an organic order within a week) of a user whose attributes have no ``organic_rate``: a
lapsed customer's chance of coming back unprompted. The seed stores no per-user figure; in
its own history (seed 7, 20,000 users) 1.9% of buyers lapsed 60 days ordered in the next
week."""
REPLY_P = 0.02
OPT_OUT_P = 0.004

_EVENT = text(
    "INSERT INTO events (user_id, type, ts, channel, amount, quantity, campaign_id, properties,"
    " dedupe_key) VALUES (:u, :t, :ts, :ch, :amt, :q, :c, :p, :k) ON CONFLICT DO NOTHING"
)
_OPT_OUT = text(
    "INSERT INTO consents (user_id, channel, status, source, ts) VALUES (:u, :ch, 'withdrawn',"
    " 'sandbox', :ts) ON CONFLICT (user_id, channel) DO UPDATE SET status = excluded.status,"
    " source = excluded.source, ts = excluded.ts WHERE consents.ts < excluded.ts"
)
_ATTRS = text("SELECT id, attributes FROM users WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _rng(seed: int, key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(f"{seed}|{key}".encode()).digest()[:8]))


def _dedupe(kind: str, key: str) -> str:
    return "sim:" + hashlib.sha1(f"{kind}|{key}".encode()).hexdigest()


def _attrs(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for part in chunks(ids):
        for uid, a in conn.execute(_ATTRS, {"ids": list(part)}):
            a = json.loads(a) if isinstance(a, str) else a
            out[uid] = a or {}
    return out


def _chain(
    rng: random.Random, d: dict[str, Any], attrs: dict[str, Any]
) -> list[tuple[str, int, dict[str, Any]]]:
    """The events one delivery leads to: ``(type, ts, extra)``."""
    prop = attrs.get("propensity") or {}
    ch_p = float((prop.get("channel") or {}).get(d["channel"], DEFAULT_CHANNEL_P))
    ct_p = float((prop.get("content") or {}).get(d["content_type"] or "", DEFAULT_CONTENT_P))
    t = d["ts"] + rng.randint(1, 30)
    out: list[tuple[str, int, dict[str, Any]]] = [("message_delivered", t, {})]
    if rng.random() < OPT_OUT_P:
        return [*out, ("message_opted_out", t + rng.randint(60, 6 * 3600), {})]
    if rng.random() >= ch_p:
        return out
    t += int(min(3 * DAY, rng.expovariate(1 / 5400) + 60))
    out.append(("message_opened", t, {}))
    if d["channel"] in ("sms", "wecom") and rng.random() < REPLY_P:
        out.append(("message_replied", t + rng.randint(30, 1800), {}))
    if rng.random() >= ct_p:
        return out
    t += int(min(DAY, rng.expovariate(1 / 600) + 5))
    out.append(("message_clicked", t, {}))
    if rng.random() >= float(attrs.get("base_conversion", DEFAULT_BASE)):
        return out
    t += int(min(7 * DAY, rng.expovariate(1 / DAY) + 60))
    amount = round(rng.uniform(40, 400), 2)
    return [*out, ("message_converted", t, {"amount": amount}), ("order", t, {"amount": amount})]


def _organic(
    seed: int, cid: str, uid: int, assigned: int, attrs: dict[str, Any]
) -> dict[str, Any] | None:
    """The organic order of one ``(campaign, user)``, or None (one draw per pair)."""
    key = f"{cid}|{uid}"
    rng = _rng(seed, "organic|" + key)
    ets = assigned + rng.randint(3600, 7 * DAY)
    if rng.random() >= float(attrs.get("organic_rate", ORGANIC_P)):
        return None
    return {
        "u": uid,
        "t": "order",
        "ts": ets,
        "ch": None,
        "amt": round(rng.uniform(40, 400), 2),
        "q": 1,
        "c": None,
        "p": json.dumps({"source": "app", "simulated": "organic"}),
        "k": _dedupe("organic", key),
    }


def simulate_responses(
    engine: Engine, *, until_ts: int, seed: int = 0, campaign_id: str | None = None
) -> dict[str, int]:
    """Write the simulated events that have happened by ``until_ts``; return counts by type.

    ``campaign_id``: only that campaign's deliveries and members (None: every campaign).

    Raises:
        NotSimulated: the store is not marked simulated (a real store): nothing is written.
    """
    counts: Counter[str] = Counter()
    only = " AND campaign_id = :c" if campaign_id is not None else ""
    window = {"lo": until_ts - HORIZON, "hi": until_ts, "c": campaign_id}
    with engine.begin() as conn:
        require_simulated(conn, "simulated responses")
        rows = conn.execute(
            text(
                "SELECT idempotency_key, channel, user_id, campaign_id, ts, payload FROM deliveries"
                " WHERE ts > :lo AND ts <= :hi" + only
            ),
            window,
        ).all()
        members = conn.execute(
            text(
                "SELECT campaign_id, step_id, user_id, assigned_ts FROM campaign_members"
                " WHERE assigned_ts > :lo AND assigned_ts <= :hi" + only
            ),
            window,
        ).all()
        attrs = _attrs(conn, sorted({r[2] for r in rows} | {m[2] for m in members}))
        events: list[dict[str, Any]] = []
        opt_outs: list[dict[str, Any]] = []
        for key, channel, uid, cid, ts, payload in rows:
            p = json.loads(payload) if isinstance(payload, str) else (payload or {})
            d = {"channel": channel, "content_type": p.get("content_type"), "ts": ts}
            props = {"content_type": p.get("content_type"), "variant_id": p.get("variant_id")}
            for etype, ets, extra in _chain(_rng(seed, key), d, attrs.get(uid, {})):
                if ets > until_ts:
                    continue
                if etype == "order":
                    props = {**props, "source": "app", "simulated": "message"}
                events.append(
                    {
                        "u": uid,
                        "t": etype,
                        "ts": ets,
                        "ch": channel,
                        "amt": extra.get("amount"),
                        "q": 1 if etype == "order" else None,
                        "c": cid,
                        "p": json.dumps(props),
                        "k": _dedupe(etype, key),
                    }
                )
                if etype == "message_opted_out":
                    opt_outs.append({"u": uid, "ch": channel, "ts": ets})
        first: dict[tuple[str, int], int] = {}
        for cid, _step, uid, assigned in members:
            first[(cid, uid)] = min(assigned, first.get((cid, uid), assigned))
        for (cid, uid), assigned in sorted(first.items()):
            e = _organic(seed, cid, uid, assigned, attrs.get(uid, {}))
            if e is not None and e["ts"] <= until_ts:
                events.append(e)
        for part in chunks(events, 5000):
            conn.execute(_EVENT, list(part))
        if opt_outs:
            conn.execute(_OPT_OUT, opt_outs)
    for e in events:
        counts[e["t"]] += 1
    return dict(counts)
