"""Aliyun SMS feedback over its HTTP batch push: delivery reports and inbound replies.

Aliyun POSTs a JSON array (``application/json``, several items per request) to the URL set
in the SMS console for each message type, and wants HTTP 200 with ``{"code": 0, "msg":
...}`` back (anything else is pushed again after 1, 5 and 10 minutes):

* ``SmsReport``: ``phone_number``, ``send_time``, ``report_time`` (``YYYY-MM-DD HH:MM:SS``,
  China time), ``success``, ``err_code``, ``err_msg``, ``sms_size``, ``biz_id`` (``BizId`` of
  ``SendSms``), ``out_id`` (our ``OutId``);
* ``SmsUp``: ``phone_number``, ``send_time``, ``content``, ``sign_name``, ``dest_code``,
  ``sequence_id``.

The push carries no signature (Aliyun documents none for this mode), so the URL carries a
secret token (``USEROPS_SMS_CALLBACK_TOKEN``) checked in constant time by the route.

A report of one of our messages (matched by ``biz_id``, else ``out_id``, among the messages
to that number) becomes ``message_delivered`` (``success``) or a ``custom`` event
``message_undelivered`` with the carrier code. A reply becomes ``message_replied`` (its
text kept as untrusted text, attributed to the last SMS campaign that reached the number);
a reply that opts out (``退订``, ``TD``, ``T``, ``STOP``...: :func:`is_opt_out`) also becomes
``message_opted_out`` and withdraws SMS consent on every record holding the number, at the
reply's time. Items about unknown numbers or messages are counted, not written.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Engine, func, select

from userops.cdp.ingest import validate as v
from userops.dispatch.feedback import lookup, parse
from userops.dispatch.feedback.items import Feedback, NewEvent, Withdrawal
from userops.store.models import User

PROVIDER = "aliyun_sms"
CHINA = timezone(timedelta(hours=8))
OPT_OUT_WORDS = frozenset({"T", "TD", "N", "STOP", "UNSUBSCRIBE"})
"""Whole replies that opt out (after dropping spaces and punctuation, upper-cased)."""
OPT_OUT_PHRASES = ("退订", "退定", "取消订阅")
"""Phrases that opt out wherever they appear in a reply."""
MAX_REPLY = 1000


def _time(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError("must be a string YYYY-MM-DD HH:MM:SS")
    try:
        naive = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError("must be YYYY-MM-DD HH:MM:SS (China time)") from None
    if not 2000 <= naive.year <= 2100:
        raise ValueError("year out of range 2000..2100")
    return int(naive.replace(tzinfo=CHINA).timestamp())


def _phone(value: Any) -> str:
    return v.phone(value)


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")
    phone_number: str = Field(min_length=1, max_length=32)
    send_time: int

    @field_validator("phone_number", mode="after")
    @classmethod
    def _p(cls, value: str) -> str:
        return _phone(value)

    @field_validator("send_time", mode="before")
    @classmethod
    def _t(cls, value: Any) -> int:
        return _time(value)


class Report(_Item):
    """One ``SmsReport`` item."""

    report_time: int
    success: bool = Field(strict=True)
    err_code: str = Field(default="", max_length=64)
    err_msg: str = Field(default="", max_length=256)
    sms_size: int | None = Field(default=None, ge=0, le=100)
    biz_id: str = Field(default="", max_length=128)
    out_id: str = Field(default="", max_length=128)

    @field_validator("report_time", mode="before")
    @classmethod
    def _r(cls, value: Any) -> int:
        return _time(value)


class Reply(_Item):
    """One ``SmsUp`` item."""

    content: str = Field(max_length=MAX_REPLY)
    sign_name: str = Field(default="", max_length=64)
    dest_code: str = Field(default="", max_length=32)
    sequence_id: int | str | None = None

    @field_validator("sequence_id", mode="before")
    @classmethod
    def _seq(cls, value: Any) -> int | str | None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None or (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
        ):
            return value
        if isinstance(value, str) and 0 < len(value) <= 64 and value.isascii():
            return value
        raise ValueError("must be a number 0..2^63-1 or a short ASCII string")


def is_opt_out(text: str) -> bool:
    """Whether a reply opts out: an opt-out phrase anywhere, or an opt-out word alone."""
    norm = unicodedata.normalize("NFKC", text)
    if any(p in norm for p in OPT_OUT_PHRASES):
        return True
    kept = "".join(c for c in norm if unicodedata.category(c)[0] in "LN").upper()
    return kept in OPT_OUT_WORDS


def _people(conn: Connection, phone: str) -> tuple[list[int], list[int]]:
    """Records holding ``phone``, and those plus their canonical records."""
    records = lookup.records_by_address(conn, "phone", phone)
    if not records:
        return [], []
    canon = conn.execute(
        select(func.coalesce(User.merged_into, User.id)).where(User.id.in_(records))
    ).scalars()
    return records, sorted(set(records) | {int(c) for c in canon})


def reports(engine: Engine, data: Any) -> Feedback:
    """The feedback of an ``SmsReport`` body (``BadInput``, located, when malformed)."""
    got = parse.items(data, Report, "SmsReport")
    fb = Feedback(PROVIDER)
    with engine.connect() as conn:
        for r in got:
            _records, people = _people(conn, r.phone_number)
            found = lookup.sent_message(conn, people, "sms", r.out_id, r.biz_id)
            if found is None:
                fb.unmatched += 1
                continue
            uid, campaign = found
            props: dict[str, Any] = {
                "provider": PROVIDER,
                "biz_id": r.biz_id,
                "out_id": r.out_id,
                "err_code": r.err_code,
                "sms_size": r.sms_size,
            }
            etype = "message_delivered"
            if not r.success:
                etype, props["event"] = "custom", "message_undelivered"
            key = f"report|{r.biz_id}|{r.out_id}|{r.success}|{r.err_code}"
            fb.events.append(NewEvent(uid, etype, r.report_time, "sms", key, campaign, props))
    return fb


def replies(engine: Engine, data: Any) -> Feedback:
    """The feedback of an ``SmsUp`` body (``BadInput``, located, when malformed)."""
    got = parse.items(data, Reply, "SmsUp")
    fb = Feedback(PROVIDER)
    with engine.connect() as conn:
        for r in got:
            records, people = _people(conn, r.phone_number)
            if not records:
                fb.unmatched += 1
                continue
            seq = r.sequence_id
            if seq is None:
                raw = f"{r.phone_number}|{r.send_time}|{r.content}".encode()
                seq = hashlib.sha256(raw).hexdigest()[:32]
            campaign = lookup.last_campaign(conn, people, "sms")
            opt_out = is_opt_out(r.content)
            props = {"provider": PROVIDER, "sequence_id": seq, "opt_out": opt_out}
            uid = records[0]
            fb.events.append(
                NewEvent(
                    uid,
                    "message_replied",
                    r.send_time,
                    "sms",
                    f"up|{seq}",
                    campaign,
                    props,
                    text=r.content,
                )
            )
            if opt_out:
                fb.events.append(
                    NewEvent(
                        uid,
                        "message_opted_out",
                        r.send_time,
                        "sms",
                        f"up-opt-out|{seq}",
                        campaign,
                        {"provider": PROVIDER, "via": "reply"},
                    )
                )
                fb.withdrawals += [Withdrawal(p, "sms", r.send_time, "sms_reply") for p in people]
    return fb
