"""The policy decision for one recipient: send now, defer until T, or suppress (reason).

The same function runs at enqueue (pre-flight) and again in the worker right before the
adapter is called, so a state change in between (consent withdrawn, do-not-contact set,
another campaign sent, quiet hours started) stops the message.
"""

from __future__ import annotations

from typing import Literal

from userops.dispatch.context import UserCtx
from userops.dispatch.policy import Policy
from userops.dispatch.window import Bounds, next_allowed

Action = Literal["send", "defer", "suppress"]
Decision = tuple[Action, int, str | None]
"""``(action, when, reason)``: when = now (send), the deferral time, or now (suppress)."""


def check_rules(u: UserCtx, channel: str, marketing: bool, policy: Policy) -> str | None:
    """Return the suppression reason of the hard rules (DNC, consent, address), else None.

    * do-not-contact on any record of the user blocks every message, transactional too;
    * an explicit consent withdrawal on the channel blocks every message;
    * marketing needs a ``granted`` consent (no row = not granted); transactional needs
      none unless ``transactional_requires_grant``;
    * the user needs contact data for the channel.
    """
    if u.dnc:
        return "do_not_contact"
    status = u.consent_status(channel)
    if status == "withdrawn":
        return "consent"
    if status != "granted" and (marketing or policy.transactional_requires_grant):
        return "consent"
    if u.address(channel) is None:
        return "unreachable"
    return None


def decide(
    u: UserCtx,
    channel: str,
    marketing: bool,
    ts: int,
    policy: Policy,
    *,
    symmetric: bool,
    window: Bounds | None = None,
) -> Decision:
    """Decide one message for ``u`` on ``channel`` at ``ts`` (see :func:`check_rules`).

    Marketing messages then obey quiet hours (deferred to the next allowed minute in the
    user's zone) and frequency caps over ``u.commits`` (deferred until the window frees, or
    suppressed with ``frequency_cap`` when the policy says ``suppress`` or the deferral
    would exceed ``max_defer_hours``). Transactional messages skip both. Every message of a
    step with a send ``window`` waits for it (local to the user's zone, see
    :mod:`userops.dispatch.window`); marketing ones for a minute that is also quiet-free.
    """
    reason = check_rules(u, channel, marketing, policy)
    if reason is not None:
        return ("suppress", ts, reason)

    def allowed(x: int) -> int:
        return next_allowed(policy, x, u.tz, window, marketing)

    t = allowed(ts)
    if not marketing:
        return ("send", ts, None) if t == ts else ("defer", t, "send_window")
    if not u.commits:  # nothing counts against the caps
        return ("send", ts, None) if t == ts else ("defer", t, _timing(policy, u, ts, t))
    capped = False
    for _ in range(32):
        c = policy.cap_free_time(u.commits, channel, t, symmetric=symmetric)
        if c != t:
            capped = True
            if policy.over_cap == "suppress" or c - ts > policy.max_defer_hours * 3600:
                return ("suppress", ts, "frequency_cap")
        q = allowed(c)
        t = q
        if q == c:
            break
    if t == ts:
        return ("send", ts, None)
    return ("defer", t, "frequency_cap" if capped else _timing(policy, u, ts, t))


def _timing(policy: Policy, u: UserCtx, ts: int, t: int) -> str:
    """Reason of a deferral from ``ts`` to ``t``: the quiet hours alone, or the send window."""
    return "quiet_hours" if policy.next_quiet_free(ts, u.tz) == t else "send_window"
