"""Plain ISO-8601 date-times to epoch seconds for a whole Arrow column (the import fast path).

Decides only ``YYYY-MM-DD`` and ``YYYY-MM-DDTHH:MM:SS`` with an optional ``Z`` or ``±HH:MM``
offset (ASCII digits), real calendar dates, and results inside the range
:func:`userops.cdp.validate.timestamp` accepts; everything else is left to that validator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from userops.cdp.validate import MAX_TS

_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?$"
_SAFE = "1970-01-01T00:00:00+00:00"
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

Ints = np.ndarray[Any, np.dtype[np.int64]]


def iso_seconds(col: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return ``(seconds, decided)``: epoch seconds (int64) and where they were decided."""
    col = pc.if_else(
        pc.match_substring_regex(col, _DATE), pc.binary_join_element_wise(col, "T00:00:00", ""), col
    )
    shaped = pc.match_substring_regex(col, _DATETIME)
    text = pc.if_else(shaped, col, _SAFE)
    offset = pc.utf8_slice_codeunits(text, 19, 25)
    offset = pc.if_else(pc.equal(pc.utf8_length(offset), 6), offset, "+00:00")

    def part(src: pa.Array, start: int, stop: int) -> Ints:
        piece = pc.cast(pc.utf8_slice_codeunits(src, start, stop), pa.int64())
        return np.asarray(piece.to_numpy(zero_copy_only=False), dtype=np.int64)

    y, mo, d = part(text, 0, 4), part(text, 5, 7), part(text, 8, 10)
    hh, mm, ss = part(text, 11, 13), part(text, 14, 16), part(text, 17, 19)
    oh, om = part(offset, 1, 3), part(offset, 4, 6)
    east = np.asarray(pc.starts_with(offset, "+").to_numpy(zero_copy_only=False))
    mo_ok = (mo >= 1) & (mo <= 12)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = _DAYS[np.where(mo_ok, mo, 1)] + ((mo == 2) & leap)
    valid = mo_ok & (y >= 1) & (d >= 1) & (d <= month_days)
    valid &= (hh <= 23) & (mm <= 59) & (ss <= 59) & (oh <= 23) & (om <= 59)
    off = (oh * 3600 + om * 60) * np.where(east, 1, -1)
    ts = _days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - off
    decided = valid & (ts >= 0) & (ts < MAX_TS)
    decided &= np.asarray(shaped.to_numpy(zero_copy_only=False))
    return pa.array(ts, pa.int64()), pa.array(decided, pa.bool_())


def _days_from_civil(y: Ints, m: Ints, d: Ints) -> Ints:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468, dtype=np.int64)
