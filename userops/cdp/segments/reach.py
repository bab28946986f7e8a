"""Re-check a segment's reach against the current consents and do-not-contact flags.

``traits.reachable_channels`` is computed at the profile build. Consent withdrawn or a
do-not-contact flag set since then is caught here, on demand (``verify_reach``): a member
counts as reachable now on a channel when the build said so, some record of the member has
that channel's consent ``granted`` now, and no record of the member is do-not-contact.
Addresses are not re-checked (they are not removed between builds). The dispatch engine
checks consent and do-not-contact again for every message at send time, whatever this says.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, func, literal, select

from userops.cdp.segments.sql import canonical_id, text_contains, traits, users
from userops.domain import CHANNELS
from userops.store.models import Consent


def reachable_now(conn: Connection, cond: ColumnElement[bool]) -> dict[str, int]:
    """Per channel, segment members still reachable under current consent and do-not-contact."""
    consents = Consent.__table__
    member = canonical_id()
    blocked = select(canonical_id()).where(users.c.do_not_contact.is_(True)).correlate(None)
    needle = literal(",") + consents.c.channel + literal(",")
    query = (
        select(consents.c.channel, func.count(traits.c.user_id.distinct()))
        .select_from(
            consents.join(users, users.c.id == consents.c.user_id).join(
                traits, traits.c.user_id == member
            )
        )
        .where(
            and_(
                consents.c.status == "granted",
                cond,
                text_contains(traits.c.reachable_channels, needle),
                traits.c.user_id.not_in(blocked),
            )
        )
        .group_by(consents.c.channel)
    )
    counts = {ch: 0 for ch in CHANNELS}
    for channel, n in conn.execute(query):
        if channel in counts:
            counts[channel] = int(n)
    return counts
