"""Column-wise validation of CSV batches in Arrow: whole columns at once, exact fallback.

Every column first goes through a bulk fast path (pyarrow compute kernels) that only decides
values its field validator (:mod:`userops.cdp.ingest.validate`) would accept, normalized the same
way; every value the fast path leaves undecided goes to that validator itself. So the accepted
rows and their values are the same as on the row path. Rows with a bad value are then checked
again by :class:`~userops.cdp.ingest.rows.RowChecker`, which words and orders their problems as
always.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from userops.cdp.ingest import validate as v
from userops.cdp.ingest.csv_arrow import ColumnBatch
from userops.cdp.ingest.iso_columns import iso_seconds
from userops.cdp.ingest.rows import Field, RowChecker

Fast = Callable[[pa.Array], tuple[pa.Array, pa.Array]]
"""Maps a raw string column to ``(values, undecided)``: normalized values (any where
undecided or empty) and a boolean mask of the values left to the field's validator."""
_SPACE = "[" + "".join(f"\\x{{{c:x}}}" for c in range(sys.maxunicode + 1) if chr(c).isspace()) + "]"
_EDGE_SPACE = f"^{_SPACE}|{_SPACE}$"
"""A value ``str.strip()`` would change (Python's whitespace, not only ASCII)."""
_ATOM = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_EMAIL = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-zA-Z]{{2,63}}$"
"""``validate.EMAIL_FAST`` before lower-casing, on ASCII only (RE2 classes are ASCII here)."""
_SHORT_EMAIL = 64
"""Addresses up to this length meet both length limits of :func:`validate.email`."""


def text_fast(max_len: int) -> Fast:
    """Fast path of :func:`validate.text`: values with nothing to strip, not over-long."""

    def fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
        edge = pc.match_substring_regex(col, _EDGE_SPACE)
        return col, pc.or_(edge, pc.greater(pc.utf8_length(col), max_len))

    return fast


def phone_fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Fast path of :func:`validate.phone`: bare and ``+86`` Chinese mobile numbers."""
    plain = pc.match_substring_regex(col, "^1[3-9][0-9]{9}$")
    e164 = pc.match_substring_regex(col, r"^\+861[3-9][0-9]{9}$")
    values = pc.if_else(plain, pc.binary_join_element_wise("+86", col, ""), col)
    return values, pc.invert(pc.or_(plain, e164))


def email_fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Fast path of :func:`validate.email`: short plain ASCII addresses, lower-cased."""
    low = pc.ascii_lower(col)
    ok = pc.and_(
        pc.match_substring_regex(col, _EMAIL), pc.less_equal(pc.utf8_length(col), _SHORT_EMAIL)
    )
    special = reduce(pc.or_, [pc.ends_with(low, d) for d in v.SPECIAL_USE_DOMAINS])
    return low, pc.invert(pc.and_(ok, pc.invert(special)))


def by_value(check: v.Validator, kind: pa.DataType) -> Fast:
    """Run ``check`` once per distinct value (for columns with few distinct values)."""

    def fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
        distinct = pc.unique(col)
        values: list[Any] = []
        undecided: list[bool] = []
        for raw in distinct.to_pylist():
            try:
                values.append(check(raw) if raw else None)
                undecided.append(False)
            except ValueError:
                values.append(None)
                undecided.append(True)
        where = pc.index_in(col, value_set=distinct)
        return pa.array(values, kind).take(where), pa.array(undecided, pa.bool_()).take(where)

    return fast


def amount_fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Fast path of :func:`validate.amount`: plain decimals (the cast rounds as ``float``)."""
    plain = pc.match_substring_regex(col, r"^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$")
    values = pc.cast(pc.if_else(plain, col, "0"), pa.float64())
    return values, pc.invert(plain)


def quantity_fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Fast path of :func:`validate.quantity`: plain non-negative integers."""
    plain = pc.match_substring_regex(col, "^[0-9]{1,9}$")  # validate.QUANTITY_MAX
    values = pc.cast(pc.if_else(plain, col, "0"), pa.int64())
    return values, pc.invert(plain)


def timestamp_fast(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Fast path of :func:`validate.timestamp`.

    Plain ISO-8601 values are converted in bulk, other values one by one; once per distinct
    value where values repeat (dates, batch exports), else value by value.
    """
    distinct = pc.unique(col)
    repeats = 2 * len(distinct) <= len(col)
    values = distinct if repeats else col
    seconds, decided = iso_seconds(values)
    rest = pc.invert(decided)
    if bool(pc.any(rest).as_py()):
        others, undecided = by_value(v.timestamp, pa.int64())(pc.filter(values, rest))
        seconds = pc.replace_with_mask(seconds, rest, others)
        rest = pc.replace_with_mask(rest, rest, undecided)
    if not repeats:
        return seconds, rest
    where = pc.index_in(col, value_set=distinct)
    return seconds.take(where), rest.take(where)


@dataclass(frozen=True)
class Column:
    """How one field is checked in bulk."""

    fast: Fast
    """The bulk fast path."""
    kind: pa.DataType = field(default_factory=pa.string)
    """Arrow type of the normalized values."""


def check_column(col: pa.Array, bulk: Column, spec: Field) -> tuple[pa.Array, np.ndarray[Any, Any]]:
    """Return the normalized column (null where empty or bad) and a mask of bad positions."""
    kind = bulk.kind
    empty = pc.equal(col, "")
    values, undecided = bulk.fast(col)
    undecided = pc.and_(undecided, pc.invert(empty))
    values = pc.if_else(pc.or_(empty, undecided), pa.scalar(None, kind), values)
    bad = np.zeros(len(col), dtype=bool)
    if bool(pc.any(undecided).as_py()):
        where = np.flatnonzero(undecided.to_numpy(zero_copy_only=False))
        checked: list[Any] = []
        for i, raw in zip(where, col.take(pa.array(where)).to_pylist(), strict=True):
            try:
                checked.append(spec.check(raw))
            except ValueError:
                checked.append(None)
                bad[i] = True
        values = pc.replace_with_mask(values, undecided, pa.array(checked, kind))
    if spec.required:  # a blank value (spaces only) is missing too
        missing = pc.is_null(values)
        if pa.types.is_string(kind):
            missing = pc.or_kleene(missing, pc.equal(values, ""))
        bad |= missing.to_numpy(zero_copy_only=False)
    return values, bad


def check_batch(
    fields: dict[str, Field],
    bulk: dict[str, Column],
    cols: list[str],
    batch: ColumnBatch,
    checker: RowChecker,
) -> tuple[list[pa.Array], list[int] | range]:
    """Validate a batch column by column.

    Returns:
        One column per field (``fields`` order, nulls for empty or absent columns) holding
        the good rows, and those rows' start lines. Bad rows are left out; their problems
        were recorded by ``checker`` exactly as the row path records them.
    """
    n = len(batch)
    where = {c: i for i, c in enumerate(cols)}  # a repeated column: the last one counts
    out: list[pa.Array] = []
    bad = np.zeros(n, dtype=bool)
    for name, spec in fields.items():
        if name not in where:
            out.append(pa.nulls(n, bulk[name].kind))
            continue
        values, bad_here = check_column(batch.columns[where[name]], bulk[name], spec)
        out.append(values)
        bad |= bad_here
    if not bad.any():
        return out, batch.lines
    positions = np.flatnonzero(bad).tolist()
    lines = list(batch.lines)
    for pos, row in zip(positions, batch.rows(cols, positions), strict=True):
        checker(row, lines[pos])
    keep = pa.array(~bad)
    good = [ln for ln, b in zip(lines, bad, strict=True) if not b]
    return [pc.filter(c, keep) for c in out], good
