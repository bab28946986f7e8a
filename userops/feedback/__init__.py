"""Provider feedback into the profile: parse a provider's report, record it, update traits.

Above both the CDP and the dispatch engine (it needs the CDP's address normalization and
trait updates, and the engine's outbox and feedback writer):

* :mod:`.aliyun` — Aliyun SMS delivery reports and inbound replies (``退订``/``TD``/``STOP``);
* :mod:`.mail_push` — e-mail bounces and complaints, push token invalidation;
* :func:`record` — :func:`userops.dispatch.feedback.record.record_feedback`, then the
  users' trait rows (:func:`userops.cdp.traits.calls.after_feedback`).

Verification, the writer, call outcomes and unsubscribe tokens live in the engine
(:mod:`userops.dispatch.feedback`, :mod:`userops.dispatch.call_callback`). See
docs/channels.md, "Provider feedback".
"""

from __future__ import annotations

from sqlalchemy import Engine

from userops.cdp.traits.calls import after_feedback
from userops.dispatch.feedback.items import Feedback, Recorded
from userops.dispatch.feedback.record import record_feedback
from userops.dispatch.feedback.signed import Replay


def record(engine: Engine, fb: Feedback, replay: Replay | None = None) -> Recorded:
    """Record ``fb`` (one transaction), then bring the users' traits up to date.

    Raises:
        Refused: 409, ``replay`` was accepted before (nothing written).
    """
    out = record_feedback(engine, fb, replay)
    after_feedback(engine, out.users, out.callers)
    return out
