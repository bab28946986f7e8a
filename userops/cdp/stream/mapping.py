"""Segment calls and event names onto the store's event types (the table in docs/ingest.md).

``track`` events with a known name become typed events (``Order Completed`` → ``order`` with
its amount, quantity and items); a name equal to a store event type (``order``,
``page_view``...) is that type; every other name is kept as a ``custom`` event whose
``properties.event`` is the name, so that segment predicates can select it
(``{"event": "custom", "where": {"event": "Video Played"}}``). An opt-out (``Unsubscribed``,
``Email Unsubscribed``, ``message_opted_out``) with a channel also withdraws that channel's
consent (:data:`OPT_OUT`, written by the batch with the event). ``page`` and ``screen`` are
``page_view`` events; ``group`` is a ``custom`` event named ``Group``. The event types userops
derives itself (:data:`~userops.domain.DERIVED_EVENT_TYPES`: ``lifecycle_stage_changed``)
are refused: a client could otherwise forge the events journeys start on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from userops.cdp.ingest import validate as v
from userops.cdp.stream.fields import Bad
from userops.cdp.stream.spec import Message
from userops.cdp.stream.traits import CATEGORY_CHANNELS
from userops.domain import DERIVED_EVENT_TYPES, EVENT_TYPES, EventType

CUSTOM = EventType.CUSTOM.value
OPT_OUT = EventType.MESSAGE_OPTED_OUT.value
"""A track event mapped to this type with a channel withdraws that channel's consent."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What a known event name becomes."""

    type: str
    channel: str | None = None
    """Default channel (``properties.channel`` wins)."""


TRACK: dict[str, Rule] = {
    "Order Completed": Rule("order"),
    "Application Opened": Rule("app_open"),
    "Mini Program Opened": Rule("miniprogram_open"),
    "Store Visited": Rule("visit"),
    "Push Notification Received": Rule("message_delivered", "app_push"),
    "Push Notification Tapped": Rule("message_opened", "app_push"),
    "Email Delivered": Rule("message_delivered", "email"),
    "Email Opened": Rule("message_opened", "email"),
    "Email Link Clicked": Rule("message_clicked", "email"),
    "Unsubscribed": Rule(OPT_OUT, "email"),  # Segment's e-mail spec
    "Email Unsubscribed": Rule(OPT_OUT, "email"),  # RudderStack's (Customer.io source)
    "Survey Submitted": Rule("survey"),
    "Feedback Submitted": Rule("feedback"),
    "Ticket Created": Rule("ticket"),
    "Call Completed": Rule("call_outcome", "voice_call"),
}
"""Known Segment (and userops) event names; see docs/ingest.md."""
TRACK.update({t: Rule(t) for t in EVENT_TYPES if t != CUSTOM and t not in DERIVED_EVENT_TYPES})
DERIVED = "is an event type userops derives from traits (docs/traits.md); it cannot be sent"
CONSENT_EVENT = "Segment Consent Preference Updated"
"""A track event whose ``context.consent`` updates consents (as Segment's Unify reads it)."""
_AMOUNT_KEYS = ("total", "revenue", "value")
_TOTAL_RANGE = "out of range (the products' price × quantity total: magnitude below 1e15)"
_TEXT_TYPES = frozenset({"feedback", "survey", "ticket"})
_campaign = v.text(64)
_text = v.text(20000)


@dataclass(slots=True)
class Row:
    """One ``events`` row (without its user and dedupe key)."""

    type: str
    ts: int
    channel: str | None
    amount: float | None
    quantity: int | None
    campaign_id: str | None
    properties: dict[str, Any]
    text: str | None


def to_row(msg: Message) -> Row | None:
    """The event a message stores (None for identify and alias).

    Raises:
        Bad: a field the mapping reads is invalid (``properties.revenue``...).
    """
    t = msg.type
    if t == "track":
        return _track(msg)
    if t == "page" or t == "screen":
        props = dict(msg.properties)
        if msg.name is not None:
            props["name"] = msg.name
        if msg.category is not None:
            props["category"] = msg.category
        if t == "screen":
            props["screen"] = True
        return Row("page_view", msg.ts, None, None, None, None, props, None)
    if t == "group":
        props = {"event": "Group", "group_id": msg.group_id, "traits": msg.traits}
        return Row(CUSTOM, msg.ts, None, None, None, None, props, None)
    return None


def _track(msg: Message) -> Row:
    name = msg.name or ""
    props = msg.properties
    if name in DERIVED_EVENT_TYPES:
        raise Bad(msg.path("event"), DERIVED, name)
    rule = TRACK.get(name)
    stored = {**props, "event": name}
    if rule is None:
        return Row(CUSTOM, msg.ts, None, None, None, _campaign_of(msg), stored, None)
    channel = rule.channel
    raw_channel = props.get("channel")
    if raw_channel is not None and (
        rule.type.startswith("message_") or rule.type == "call_outcome"
    ):
        channel = _field(v.channel, raw_channel, msg, "properties.channel")
    elif rule.type == OPT_OUT:
        channel = context_channel(msg) or channel
    amount: float | None = None
    quantity: int | None = None
    text = None
    if rule.type == "order":
        amount, quantity, items = _order(msg)
        if items is not None:
            stored["items"] = items
    elif "quantity" in props:
        quantity = _field(v.quantity, props["quantity"], msg, "properties.quantity")
    if rule.type in _TEXT_TYPES and props.get("text") is not None:
        text = _field(_text, props["text"], msg, "properties.text")
        del stored["text"]
    return Row(rule.type, msg.ts, channel, amount, quantity, _campaign_of(msg), stored, text)


def _order(msg: Message) -> tuple[float | None, int | None, list[dict[str, Any]] | None]:
    """Amount, quantity and items of an order.

    Amount: ``total``, else ``revenue``, else ``value``, else the sum of the products;
    quantity: the products' quantities; items: ``sku, name, category, price, qty``.
    """
    props = msg.properties
    amount = None
    for key in _AMOUNT_KEYS:
        if props.get(key) is not None:
            amount = _field(v.amount, props[key], msg, f"properties.{key}")
            break
    products = props.get("products")
    if products is None:
        qty = props.get("quantity")
        return (
            amount,
            None if qty is None else _field(v.quantity, qty, msg, "properties.quantity"),
            None,
        )
    if type(products) is not list:
        raise Bad(msg.path("properties.products"), "must be a list of products", products)
    items: list[dict[str, Any]] = []
    total = 0.0
    count = 0
    for i, p in enumerate(products):
        where = f"properties.products[{i}]"
        if type(p) is not dict:
            raise Bad(msg.path(where), "a product must be a JSON object", p)
        price = (
            None if p.get("price") is None else _field(v.amount, p["price"], msg, f"{where}.price")
        )
        qty = (
            1
            if p.get("quantity") is None
            else _field(v.quantity, p["quantity"], msg, f"{where}.quantity")
        )
        total += (price or 0.0) * qty
        count += qty
        item = {"sku": p.get("sku") or p.get("product_id"), "name": p.get("name")}
        item.update({"category": p.get("category"), "price": price, "qty": qty})
        items.append(item)
    if amount is None:
        if abs(total) >= v.AMOUNT_LIMIT:
            raise Bad(msg.path("properties.products"), _TOTAL_RANGE, round(total, 2))
        amount = round(total, 2)
    return amount, count, items


def context_channel(msg: Message) -> str | None:
    """The channel ``context.channel`` names (``sms``, ``email``, ``push``...), else None.

    Segment's and RudderStack's libraries put their own channel there (``server``,
    ``browser``, ``web``, ``mobile``): a value that names no userops channel is ignored.
    """
    raw = msg.context.get("channel")
    if type(raw) is not str or len(raw) > 40:
        return None
    return CATEGORY_CHANNELS.get(raw.strip().lower())


def _campaign_of(msg: Message) -> str | None:
    raw = msg.properties.get("campaign_id")
    return None if raw is None else _field(_campaign, raw, msg, "properties.campaign_id")


def _field(check: Any, raw: Any, msg: Message, where: str) -> Any:
    try:
        return check(raw)
    except ValueError as exc:
        raise Bad(msg.path(where), str(exc), raw) from None
