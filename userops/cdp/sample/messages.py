"""Message history of the sample population: past campaigns and each recipient's response.

A fixed schedule of historical campaigns (one channel and content type each) reached a share
of the records that were reachable at send time (address, consent granted and not yet
withdrawn, not do-not-contact). Responses come from the hidden propensities:
P(open) = ``channel[ch]``, P(click | open) = ``content[ct]``, P(convert | click) =
``base_conversion`` — the same rule the sandbox's response simulator should use, so the
traits builder can recover ``preferred_channel`` and ``content_affinity`` from behaviour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from userops.cdp.sample.events import EventBlock, concat, nones, type_code
from userops.cdp.sample.np import I64
from userops.cdp.sample.people import CONTENT, Persons
from userops.cdp.sample.records import Records
from userops.cdp.sample.time import DAY, SEND_HOURS, Calendar
from userops.domain import CHANNELS

HISTORY_CAMPAIGNS = 60
CAMPAIGN_CHANNELS = {
    "sms": 0.25, "app_push": 0.2, "email": 0.2, "wechat_template": 0.15, "miniprogram": 0.08,
    "wecom": 0.07, "voice_call": 0.05,
}  # fmt: skip
ADDRESS = {
    "sms": ("phone",), "voice_call": ("phone",), "email": ("email",), "app_push": ("device_id",),
    "wechat_template": ("wechat_openid",), "miniprogram": ("wechat_openid",),
    "wecom": ("wechat_unionid", "wechat_openid"),
}  # fmt: skip
"""Identifiers that make a record addressable on each channel (as in the traits contract)."""
OPT_OUT_CHANNELS = ("sms", "email", "app_push", "wechat_template")
CALL_INTENTS: tuple[tuple[str, list[str]], ...] = (
    ("interested", ["wants_offer"]),
    ("not_interested", []),
    ("callback_later", ["busy"]),
    ("complaint", ["delivery"]),
)


@dataclass(frozen=True)
class HistoryCampaign:
    """One past campaign of the brand."""

    id: str
    """Campaign id (``hist-YYYYMMDD-NN``)."""
    channel: int
    """Index into ``CHANNELS``."""
    content: int
    """Index into ``CONTENT``."""
    day: int
    """Send day (days since the calendar's day 0)."""
    hour: int
    """Local send hour."""
    share: float
    """Share of the reachable records it was sent to."""
    variants: int
    """Number of A/B variants."""


def schedule(seed: int, language: str, cal: Calendar) -> list[HistoryCampaign]:
    """The brand's past campaigns (depends on the seed, not on the chunk)."""
    rng = np.random.default_rng([seed, 7_777_777, 0 if language == "zh" else 1])
    names = list(CAMPAIGN_CHANNELS)
    w = np.array(list(CAMPAIGN_CHANNELS.values()))
    days = np.sort(rng.integers(20, int(cal.end_t) - 2, size=HISTORY_CAMPAIGNS))
    hours = np.flatnonzero(SEND_HOURS)
    out = []
    for i, day in enumerate(days.tolist()):
        when = datetime.fromtimestamp(cal.start_ts + day * DAY, UTC)
        out.append(
            HistoryCampaign(
                id=f"hist-{when:%Y%m%d}-{i + 1:02d}",
                channel=CHANNELS.index(names[int(rng.choice(len(names), p=w / w.sum()))]),
                content=int(rng.integers(len(CONTENT))),
                day=day,
                hour=int(rng.choice(hours, p=SEND_HOURS[hours] / SEND_HOURS.sum())),
                share=float(rng.uniform(0.15, 0.45)),
                variants=int(rng.integers(1, 3)),
            )
        )
    return out


def make_messages(
    rng: np.random.Generator,
    ps: Persons,
    recs: Records,
    consent: tuple[I64, I64, I64],
    campaigns: list[HistoryCampaign],
    cal: Calendar,
    as_of: int,
) -> EventBlock:
    """Simulate deliveries, opens, clicks, conversions, calls and opt-outs."""
    status, granted, withdrawn = consent
    blocks = []
    offset = ps.offset_s[recs.person]
    for c in campaigns:
        ch = CHANNELS[c.channel]
        send = cal.start_ts + c.day * DAY + c.hour * 3600 - offset
        ok = (
            (status[:, c.channel] > 0)
            & (granted[:, c.channel] <= send)
            & ((status[:, c.channel] == 1) | (withdrawn[:, c.channel] > send))
            & (recs.created_ts <= send)
            & ~recs.dnc
        )
        ok &= np.logical_or.reduce([recs.has(k) for k in ADDRESS[ch]])
        ok &= rng.random(recs.n) < c.share * 0.97  # 3% of sends are never delivered
        sel = np.flatnonzero(ok)
        blocks.extend(
            _responses(rng, ps, recs, c, sel, send[sel] + rng.integers(0, 1800, len(sel)), as_of)
        )
    blocks.append(_opt_outs(rng, recs, status, withdrawn))
    return concat(blocks)


def _responses(
    rng: np.random.Generator,
    ps: Persons,
    recs: Records,
    c: HistoryCampaign,
    rec: I64,
    sent: I64,
    as_of: int,
) -> list[EventBlock]:
    who = recs.person[rec]
    n = len(rec)
    opened = rng.random(n) < ps.p_channel[who, c.channel]
    clicked = opened & (rng.random(n) < ps.p_content[who, c.content])
    converted = clicked & (rng.random(n) < ps.base_conversion[who])
    t_open = sent + (rng.exponential(3 * 3600, n)).astype(np.int64)
    t_click = t_open + (rng.exponential(600, n)).astype(np.int64)
    t_conv = t_click + (rng.exponential(2 * 3600, n)).astype(np.int64)
    variant = rng.integers(0, c.variants, n)
    props = np.array(
        [json.dumps({"content_type": CONTENT[c.content], "variant_id": v}) for v in ("A", "B")],
        dtype=object,
    )[variant]
    out = []
    for name, mask, ts in (
        ("message_delivered", np.ones(n, dtype=bool), sent),
        ("message_opened", opened, t_open),
        ("message_clicked", clicked, t_click),
        ("message_converted", converted, t_conv),
    ):
        keep = mask & (ts < as_of)
        b = EventBlock.simple(rec[keep], ts[keep], type_code(name), props[keep])
        b.channel[:] = c.channel
        b.campaign = np.full(len(b), c.id, dtype=object)
        if name == "message_converted":
            b.amount = np.round(rng.gamma(6.0, 1.0 / ps.nu[who[keep]]), 2)
        out.append(b)
    if CHANNELS[c.channel] == "voice_call":
        out.append(_calls(rng, rec, opened, clicked, t_open, c, as_of))
    return out


def _calls(
    rng: np.random.Generator, rec: I64, answered: np.ndarray, interested: np.ndarray,
    t: I64, c: HistoryCampaign, as_of: int,
) -> EventBlock:  # fmt: skip
    keep = answered & (t < as_of)
    pool = np.array(
        [json.dumps({"intent": i, "tags": tags}) for i, tags in CALL_INTENTS], dtype=object
    )
    intent = np.where(interested, 0, rng.choice([1, 2, 3], size=len(rec), p=[0.6, 0.3, 0.1]))
    b = EventBlock.simple(rec[keep], t[keep] + 60, type_code("call_outcome"), pool[intent[keep]])
    b.channel[:] = c.channel
    b.campaign = np.full(len(b), c.id, dtype=object)
    return b


def _opt_outs(rng: np.random.Generator, recs: Records, status: I64, withdrawn: I64) -> EventBlock:
    blocks = []
    for ch in OPT_OUT_CHANNELS:
        j = CHANNELS.index(ch)
        sel = np.flatnonzero((status[:, j] == 2) & (rng.random(recs.n) < 0.6))
        b = EventBlock.simple(sel, withdrawn[sel, j], type_code("message_opted_out"))
        b.channel[:] = j
        blocks.append(b)
    block = concat(blocks)
    block.campaign = nones(len(block))
    return block
