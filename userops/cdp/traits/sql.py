"""Aggregate queries behind ``build_profiles``: one row (or a few) per canonical user.

Every query maps an event's record to its canonical user with ``coalesce(merged_into, id)``,
keeps only events before the exclusive end of the as-of day (``:cut``), and runs on SQLite and
PostgreSQL (JSON access is the only dialect-specific part, see :class:`Dialect`). A
:class:`Dialect` with ``records`` restricts every query to those user records (all the records
of the canonical users being recomputed incrementally) and reads events through the
``(user_id, ts)`` index instead of scanning the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, text

CANON = "coalesce(u.merged_into, u.id)"
ENGAGED = "('message_opened','message_clicked','message_converted','message_replied')"


@dataclass(frozen=True)
class Dialect:
    """The JSON accessors of one SQL dialect, and the records the queries are limited to."""

    name: str
    records: tuple[int, ...] | None = None
    """User record ids every query is limited to; None: all users (the full build)."""
    events_copy: str | None = None
    """A temporary table holding exactly the events of :attr:`records` before the cut
    (:func:`copy_events`): the event queries read it instead of ``events``."""

    @property
    def scan(self) -> str:
        """SQLite's table hint: scan events in storage order, or by ``(user_id, ts)`` for a few.

        A full scan in storage order is faster than reading by type; a few records' events
        are read through the ``(user_id, ts)`` index.
        """
        if self.name != "sqlite":
            return ""
        return "NOT INDEXED" if self.records is None else "INDEXED BY ix_events_user_ts"

    def events(self) -> str:
        """The FROM item of the event queries: ``events e`` with its hint, or the copy."""
        if self.events_copy is not None:
            return f"{self.events_copy} e"
        return f"events e {self.scan}"

    def only_events(self) -> str:
        """:meth:`only` for ``e.user_id`` of the event queries (the copy holds only those)."""
        return "" if self.events_copy is not None else self.only("e.user_id")

    def only(self, col: str, word: str = "AND") -> str:
        """`` AND col IN (records)`` (or ``WHERE``), nothing for all users (ints, inlined)."""
        if self.records is None:
            return ""
        return f" {word} {col} IN ({', '.join(str(int(r)) for r in self.records) or 'NULL'})"

    def text(self, col: str, key: str) -> str:
        """SQL for ``col[key]`` as text."""
        if self.name == "postgresql":
            return f"({col}->>'{key}')"
        return f"({col} ->> '{key}')"

    def num(self, col: str, key: str) -> str:
        """SQL for ``col[key]`` as a number (NULL when absent)."""
        if self.name == "postgresql":
            return (
                f"(CASE WHEN json_typeof({col}->'{key}') = 'number'"
                f" THEN ({col}->>'{key}')::float END)"
            )
        return (
            f"(CASE WHEN typeof({col} ->> '{key}') IN ('integer','real')"
            f" THEN {col} ->> '{key}' END)"
        )

    def item_categories(self) -> str:
        """FROM-clause tail yielding ``cat`` for each item of an order's ``properties.items``."""
        if self.name == "postgresql":
            return (
                "CROSS JOIN LATERAL json_array_elements(CASE WHEN"
                " json_typeof(e.properties->'items') = 'array'"
                " THEN e.properties->'items' ELSE '[]'::json END) AS j(value)"
            )
        return ", json_each(e.properties, '$.items') AS j"

    def item_category_expr(self) -> str:
        """SQL for the category of one item yielded by :meth:`item_categories`."""
        if self.name == "postgresql":
            return "(j.value->>'category')"
        return "(j.value ->> 'category')"


COPY_TABLE = "temp.traits_events"


def copy_events(conn: Connection, d: Dialect, cut: int) -> Dialect:
    """Copy the events of ``d.records`` before ``cut`` into a temporary table, once.

    SQLite, a few records: the five event queries then scan a table of a few thousand rows
    instead of each looking every event up again through the ``(user_id, ts)`` index and the
    table (a third of an incremental update's CPU). Elsewhere ``d`` itself.
    """
    if d.name != "sqlite" or d.records is None:
        return d
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    conn.exec_driver_sql(
        f"CREATE TABLE {COPY_TABLE} AS SELECT user_id, type, ts, channel, amount, properties"
        f" FROM events INDEXED BY ix_events_user_ts WHERE ts < {int(cut)}{d.only('user_id')}"
    )
    return replace(d, events_copy=COPY_TABLE)


def drop_copy(conn: Connection, d: Dialect) -> None:
    """Drop the table of :func:`copy_events` (when there is one)."""
    if d.events_copy is not None:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {d.events_copy}")


def _rows(conn: Connection, sql: str, **params: Any) -> Sequence[Any]:
    """Rows of ``sql`` (``:name`` parameters).

    SQLite takes ``:name`` itself: its cursor runs the statement as written, without
    SQLAlchemy's parse of a text holding hundreds of inlined record ids, and its rows come
    back as plain tuples (a fifth of an incremental update's CPU went to both).
    """
    if conn.dialect.name != "sqlite":
        return conn.execute(text(sql), params).all()
    cur = conn.connection.cursor()
    try:
        rows: list[Any] = cur.execute(sql, params).fetchall()
        return rows
    finally:
        cur.close()


def _per_canonical(inner: str, outer_cols: str, extra_group: str = "") -> str:
    """Fold per-record aggregates (``inner`` grouped by record ``rid``) into canonical users.

    Grouping events by their record first follows the (user_id, ts) index and avoids sorting
    every event by canonical id; the second grouping only sees one row per record.
    """
    group = f"{CANON}{extra_group}"
    return f"""SELECT {CANON} AS uid, {outer_cols}
        FROM ({inner}) a JOIN users u ON u.id = a.rid GROUP BY {group}"""


def canonical_users(conn: Connection, d: Dialect) -> Sequence[Any]:
    """Canonical users: id, language, region, timezone, source, earliest created_ts of records."""
    return _rows(
        conn,
        f"""SELECT c.id, c.language, c.region, c.timezone, c.source, m.created
        FROM users c JOIN (SELECT {CANON} AS uid, min(u.created_ts) AS created
                           FROM users u{d.only("u.id", "WHERE")} GROUP BY {CANON}) m
                           ON m.uid = c.id
        WHERE c.merged_into IS NULL ORDER BY c.id""",
    )


def order_days(conn: Connection, d: Dialect, cut: int, window_start_day: int) -> Sequence[Any]:
    """Per user over distinct order days (same-day orders are one transaction).

    Columns: uid, first day, last day, number of order days, total amount, first-day amount,
    last order day before ``window_start_day``, first order day on or after it.
    """
    inner = f"""SELECT e.user_id AS rid, e.ts / 86400 AS day, sum(coalesce(e.amount, 0)) AS amt
        FROM {d.events()} WHERE e.type = 'order' AND e.ts < :cut{d.only_events()}
        GROUP BY e.user_id, e.ts / 86400"""
    od = _per_canonical(inner, "a.day AS day, sum(a.amt) AS amt", ", a.day")
    return _rows(
        conn,
        f"""WITH od AS ({od}),
        f AS (SELECT uid, day, amt, min(day) OVER (PARTITION BY uid) AS fd FROM od)
        SELECT uid, min(day), max(day), count(*), sum(amt),
               sum(CASE WHEN day = fd THEN amt ELSE 0 END),
               max(CASE WHEN day < :ws THEN day END), min(CASE WHEN day >= :ws THEN day END)
        FROM f GROUP BY uid""",
        cut=cut,
        ws=window_start_day,
    )


def event_totals(conn: Connection, d: Dialect, cut: int) -> Sequence[Any]:
    """One pass over events: order counts and money, discounts, contacts, ratings, opens.

    Columns: uid, orders_total, orders_90d, monetary_365d, discounted orders, discount sum,
    contacts_7d, last contacted ts, rating sum, rating count, last app_open ts, last
    miniprogram_open ts.
    """
    disc = d.num("e.properties", "discount")
    rating = d.num("e.properties", "rating")
    inner = f"""SELECT e.user_id AS rid,
            sum(CASE WHEN e.type = 'order' THEN 1 ELSE 0 END) AS c1,
            sum(CASE WHEN e.type = 'order' AND e.ts >= :c90 THEN 1 ELSE 0 END) AS c2,
            sum(CASE WHEN e.type = 'order' AND e.ts >= :c365 THEN coalesce(e.amount, 0)
                ELSE 0 END) AS c3,
            sum(CASE WHEN e.type = 'order' AND coalesce({disc}, 0) > 0 THEN 1 ELSE 0 END) AS c4,
            sum(CASE WHEN e.type = 'order' THEN coalesce({disc}, 0) ELSE 0 END) AS c5,
            sum(CASE WHEN e.type = 'message_delivered' AND e.ts >= :c7 THEN 1 ELSE 0 END) AS c6,
            max(CASE WHEN e.type = 'message_delivered' THEN e.ts END) AS c7,
            sum(CASE WHEN e.type IN ('feedback','survey') THEN {rating} END) AS c8,
            sum(CASE WHEN e.type IN ('feedback','survey') AND {rating} IS NOT NULL
                THEN 1 ELSE 0 END) AS c9,
            max(CASE WHEN e.type = 'app_open' THEN e.ts END) AS c10,
            max(CASE WHEN e.type = 'miniprogram_open' THEN e.ts END) AS c11
        FROM {d.events()} WHERE e.ts < :cut{d.only_events()} GROUP BY e.user_id"""
    outer = "sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(c6), max(c7), sum(c8), sum(c9)"
    return _rows(
        conn,
        _per_canonical(inner, outer + ", max(c10), max(c11)"),
        cut=cut,
        c7=cut - 7 * 86400,
        c90=cut - 90 * 86400,
        c365=cut - 365 * 86400,
    )


def _top(scored: str, k: int) -> str:
    """Top ``k`` keys per canonical user of ``scored`` (rows: rid, key, w)."""
    inner = f"""SELECT rid, key, sum(w) AS w FROM ({scored}) s
        WHERE key IS NOT NULL AND key <> '' GROUP BY rid, key"""
    grouped = _per_canonical(inner, "a.key AS key, sum(a.w) AS score", ", a.key")
    return f"""SELECT uid, key FROM (
        SELECT uid, key, row_number() OVER (PARTITION BY uid ORDER BY score DESC, key) AS rn
        FROM ({grouped}) g) t
        WHERE rn <= {k} ORDER BY uid, rn"""


def channel_responses(conn: Connection, d: Dialect, cut: int) -> Sequence[Any]:
    """(uid, channel, deliveries, opens): the message history per channel."""
    inner = f"""SELECT e.user_id AS rid, e.channel AS key,
            sum(CASE WHEN e.type = 'message_delivered' THEN 1 ELSE 0 END) AS dl,
            sum(CASE WHEN e.type = 'message_opened' THEN 1 ELSE 0 END) AS op
        FROM {d.events()}
        WHERE e.type IN ('message_delivered', 'message_opened') AND e.ts < :cut
            AND e.channel IS NOT NULL{d.only_events()}
        GROUP BY e.user_id, e.channel"""
    return _rows(conn, _per_canonical(inner, "a.key, sum(a.dl), sum(a.op)", ", a.key"), cut=cut)


def content_scores(
    conn: Connection, d: Dialect, cut: int, weights: dict[str, float]
) -> Sequence[Any]:
    """(uid, content_type, score): the sum of ``weights[event type]`` over content events."""
    case = " ".join(f"WHEN '{t}' THEN {float(w)!r}" for t, w in weights.items())
    types = ",".join(f"'{t}'" for t in weights)
    inner = f"""SELECT rid, key, sum(w) AS w FROM (
            SELECT e.user_id AS rid, {d.text("e.properties", "content_type")} AS key,
                CASE e.type {case} ELSE 0 END AS w
            FROM {d.events()}
            WHERE e.type IN ({types}) AND e.ts < :cut{d.only_events()}) s
        WHERE key IS NOT NULL AND key <> '' GROUP BY rid, key"""
    return _rows(conn, _per_canonical(inner, "a.key, sum(a.w)", ", a.key"), cut=cut)


def top_interests(conn: Connection, d: Dialect, cut: int, k: int = 3) -> Sequence[Any]:
    """(uid, category) rows, the top ``k`` categories of ordered items (1) and page views (0.5)."""
    scored = f"""SELECT e.user_id AS rid, {d.item_category_expr()} AS key, 1.0 AS w
        FROM {d.events()} {d.item_categories()}
        WHERE e.type = 'order' AND e.ts < :cut{d.only_events()}
        UNION ALL
        SELECT e.user_id AS rid, {d.text("e.properties", "category")} AS key, 0.5 AS w
        FROM {d.events()} WHERE e.type = 'page_view' AND e.ts < :cut{d.only_events()}"""
    return _rows(conn, _top(scored, k), cut=cut)


def consents_granted(conn: Connection, d: Dialect) -> Sequence[Any]:
    """(uid, channel) where any record of the canonical user has granted consent."""
    return _rows(
        conn,
        f"""SELECT DISTINCT {CANON}, c.channel FROM consents c JOIN users u ON u.id = c.user_id
        WHERE c.status = 'granted'{d.only("c.user_id")}""",
    )


def addresses(conn: Connection, d: Dialect) -> Sequence[Any]:
    """Per user: has phone, email, device id, openid, unionid; any record do_not_contact.

    Identities are folded per record once and joined (a correlated ``EXISTS`` per user and
    kind made SQLite probe the ``(kind, value, user_id)`` index by kind alone: quadratic).
    """
    kinds = ("phone", "email", "device_id", "wechat_openid", "wechat_unionid")
    per_record = ", ".join(f"max(CASE WHEN kind = '{k}' THEN 1 ELSE 0 END) AS {k}" for k in kinds)
    cols = [f"max(CASE WHEN u.{k} IS NOT NULL OR i.{k} = 1 THEN 1 ELSE 0 END)" for k in kinds]
    return _rows(
        conn,
        f"""SELECT {CANON}, {", ".join(cols)},
            max(CASE WHEN u.do_not_contact THEN 1 ELSE 0 END)
        FROM users u LEFT JOIN (SELECT user_id, {per_record} FROM identities
                                {d.only("user_id", "WHERE")} GROUP BY user_id) i
        ON i.user_id = u.id{d.only("u.id", "WHERE")} GROUP BY {CANON}""",
    )
