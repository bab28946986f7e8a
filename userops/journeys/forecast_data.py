"""The forecast's data from the store: zones, the store's marketing messages, other journeys.

Per-user zone offsets are computed per (zone, UTC day) and looked up by array, so a wait
until a local time or quiet hours cost one ``zoneinfo`` call per zone and day, not per user.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, text

from userops.dispatch.policy import zone
from userops.journeys.backtest import I64, NEVER, keys


def _none() -> I64:
    return np.zeros(0, dtype=np.int64)


def zones_of(conn: Connection) -> dict[int, str]:
    """The zone of every canonical user."""
    rows = conn.execute(text("SELECT id, timezone FROM users WHERE merged_into IS NULL")).all()
    return {int(i): str(tz or "") for i, tz in rows}


class Offsets:
    """Seconds east of UTC of each user's zone, per UTC day (DST-aware per day)."""

    def __init__(self, tz: dict[int, str]) -> None:
        self.ids = np.array(sorted(tz), dtype=np.int64)
        names = sorted(set(tz.values()) | {""})
        self.names = names
        self.code = np.array([names.index(tz[i]) for i in self.ids.tolist()], dtype=np.int64)
        self.cache: dict[tuple[int, int], int] = {}

    def __call__(self, u: I64, ts: I64) -> I64:
        """Seconds east of UTC of user ``u[i]`` at ``ts[i]``."""
        if u.size == 0:
            return _none()
        code = np.zeros(u.size, dtype=np.int64)
        if self.ids.size:
            idx = np.minimum(np.searchsorted(self.ids, u), self.ids.size - 1)
            code = np.where(self.ids[idx] == u, self.code[idx], 0)
        day = ts // 86400
        pair = code * (1 << 32) + day
        uniq, inv = np.unique(pair, return_inverse=True)
        vals = np.array([self._off(int(p >> 32), int(p & 0xFFFFFFFF)) for p in uniq])
        return np.asarray(vals[inv], dtype=np.int64)

    def _off(self, code: int, day: int) -> int:
        got = self.cache.get((code, day))
        if got is None:
            dt = datetime.fromtimestamp(day * 86400 + 43200, zone(self.names[code]))
            off = dt.utcoffset()
            got = int(off.total_seconds()) if off is not None else 0
            self.cache[(code, day)] = got
        return got


def history(conn: Connection, journey_id: str, lo: int, hi: int) -> tuple[I64, list[str]]:
    """Keys and channels of the store's marketing messages (not this journey's) in the window."""
    rows = conn.execute(
        text(
            "SELECT user_id, coalesce(sent_ts, not_before_ts, created_ts), channel FROM outbox"
            " WHERE marketing AND state IN ('sent', 'pending', 'sending', 'deferred')"
            " AND created_ts > :lo AND created_ts <= :hi AND campaign_id NOT LIKE :mine"
        ),
        {"lo": lo, "hi": hi, "mine": f"j-{journey_id}-v%"},
    ).all()
    if not rows:
        return _none(), []
    arr = np.array([(r[0], r[1]) for r in rows], dtype=np.int64)
    k = keys(arr[:, 0], arr[:, 1])
    order = np.argsort(k)
    chans = [str(rows[i][2]) for i in order.tolist()]
    return k[order], chans


def other_journeys(conn: Connection, journey_id: str, u: I64, ts: I64) -> Counter[str]:
    """Per other journey: entries whose user was then one of its members."""
    out: Counter[str] = Counter()
    if u.size == 0:
        return out
    rows = conn.execute(
        text(
            "SELECT journey_id, user_id, entered_ts, coalesce(exited_ts, :far) FROM"
            " journey_members WHERE journey_id != :j"
        ),
        {"j": journey_id, "far": int(NEVER)},
    ).all()
    by: dict[str, list[tuple[int, int, int]]] = {}
    for jid, uid, a, b in rows:
        by.setdefault(str(jid), []).append((int(uid), int(a), int(b)))
    for jid, spans in by.items():
        arr = np.array(sorted(spans), dtype=np.int64)
        start = keys(arr[:, 0], arr[:, 1])
        end = np.maximum.accumulate(keys(arr[:, 0], np.minimum(arr[:, 2], 2**32 - 1)))
        probe = keys(u, ts)
        i = np.searchsorted(start, probe, side="right") - 1
        ok = i >= 0
        j = i.clip(0)
        hit = ok & ((start[j] >> 32) == u) & (end[j] >= probe)
        if hit.any():
            out[jid] = int(hit.sum())
    return out
