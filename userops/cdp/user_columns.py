"""Column-wise validation of user CSV batches: whole columns at once, exact fallback per value.

Every column first goes through a bulk fast path that only accepts values its field validator
(:mod:`userops.cdp.validate`) accepts, normalized the same way; every value the fast path
cannot decide goes to that validator itself. So the accepted rows and their values are the
same as on the row path. Rows with a bad value are then checked again by
:class:`~userops.cdp.rows.RowChecker`, which words and orders their problems as always.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

from userops.cdp import validate as v
from userops.cdp.readers import Batch
from userops.cdp.rows import Field, RowChecker

Fast = Callable[[Sequence[str]], list[Any]]
"""Maps a raw column to normalized values, ``None`` for empty cells, ``UNDECIDED`` otherwise."""
UNDECIDED: Any = object()
"""A value the fast path leaves to the field's validator."""
_CN_PLAIN = re.compile(r"1[3-9]\d{9}")
_CN_E164 = re.compile(r"\+861[3-9]\d{9}")
_SHORT_EMAIL = 64
"""Addresses up to this length meet both length limits of :func:`validate.email`."""


def text_fast(max_len: int) -> Fast:
    """Fast path of :func:`validate.text`: strip, and leave over-long values undecided."""

    def fast(col: Sequence[str]) -> list[Any]:
        stripped = list(map(str.strip, col))
        if max(map(len, stripped), default=0) > max_len:
            stripped = [s if len(s) <= max_len else UNDECIDED for s in stripped]
        if "" in col:
            return [s if r else None for r, s in zip(col, stripped, strict=True)]
        return stripped

    return fast


def phone_fast(col: Sequence[str]) -> list[Any]:
    """Fast path of :func:`validate.phone`: bare and ``+86`` Chinese mobile numbers."""
    plain, e164 = _CN_PLAIN.fullmatch, _CN_E164.fullmatch
    return ["+86" + r if plain(r) else r if e164(r) else None if not r else UNDECIDED for r in col]


def email_fast(col: Sequence[str]) -> list[Any]:
    """Fast path of :func:`validate.email`: its own precompiled check, on short addresses."""
    low = list(map(str.lower, map(str.strip, col)))
    special = v.SPECIAL_USE_DOMAINS
    match = v.EMAIL_FAST.fullmatch
    return [
        s
        if len(s) <= _SHORT_EMAIL and match(s) and not s.endswith(special)
        else None
        if not r
        else UNDECIDED
        for r, s in zip(col, low, strict=True)
    ]


def by_value(check: v.Validator) -> Fast:
    """Run ``check`` once per distinct value (for columns with few distinct values)."""

    def fast(col: Sequence[str]) -> list[Any]:
        table: dict[str, Any] = {}
        for raw in set(col):
            if not raw:
                table[raw] = None
                continue
            try:
                table[raw] = check(raw)
            except ValueError:
                table[raw] = UNDECIDED
        return list(map(table.__getitem__, col))

    return fast


FAST: dict[str, Fast] = {
    "user_id": text_fast(128),
    "name": text_fast(200),
    "phone": phone_fast,
    "email": email_fast,
    "wechat_openid": text_fast(128),
    "wechat_unionid": text_fast(128),
    "device_id": text_fast(128),
    "timezone": by_value(v.timezone),
    "language": by_value(v.language),
    "region": text_fast(64),
    "source": by_value(v.source),
    "created_at": by_value(v.timestamp),
}
"""Bulk fast path of every user column (keys as in ``import_users.FIELDS``)."""


def check_column(col: Sequence[str], fast: Fast, spec: Field) -> tuple[list[Any], list[int]]:
    """Return the normalized column (``None`` where empty or bad) and the bad positions."""
    vals = fast(col)
    bad: list[int] = []
    if UNDECIDED not in vals:
        if spec.required:
            bad.extend(i for i, x in enumerate(vals) if x is None or x == "")
        return vals, bad
    for i in [i for i, x in enumerate(vals) if x is UNDECIDED]:
        raw = col[i]
        vals[i] = None
        if raw == "":
            continue
        try:
            vals[i] = spec.check(raw)
        except ValueError:
            bad.append(i)
    if spec.required:  # a blank value (spaces only) is missing too
        bad.extend(i for i, x in enumerate(vals) if x is None or x == "")
    return vals, bad


def check_batch(
    fields: dict[str, Field], cols: list[str], batch: Batch, checker: RowChecker
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Validate a batch column by column.

    Returns:
        One tuple per good row (values in ``fields`` order, ``None`` for empty or absent
        columns) and the rows' start lines. Bad rows are left out; their problems were
        recorded by ``checker`` exactly as the row path records them.
    """
    recs = batch.records
    if not recs:
        return [], []
    where = {c: i for i, c in enumerate(cols)}  # a repeated column: the last one counts
    columns = list(zip(*recs, strict=True))
    out: list[Any] = []
    bad: set[int] = set()
    for name, spec in fields.items():
        if name not in where:
            out.append(repeat(None))
            continue
        vals, bad_here = check_column(columns[where[name]], FAST[name], spec)
        out.append(vals)
        bad.update(bad_here)
    rows = list(zip(*out, strict=False))  # absent columns are endless Nones
    lines = batch.lines
    if not bad:
        return rows, list(lines)
    for i in sorted(bad):
        checker(dict(zip(cols, recs[i], strict=True)), lines[i])
    keep = [i for i in range(len(rows)) if i not in bad]
    return [rows[i] for i in keep], [lines[i] for i in keep]
