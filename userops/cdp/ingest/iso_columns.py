"""Plain ISO-8601 date-times to epoch seconds for a whole Arrow column (the import fast path).

Decides only ``YYYY-MM-DD`` and ``YYYY-MM-DDTHH:MM:SS`` with an optional ``Z`` or ``±HH:MM``
offset (ASCII digits), real calendar dates, and results inside the range
:func:`userops.cdp.ingest.validate.timestamp` accepts; everything else is left to that validator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from userops.cdp.ingest.validate import MAX_TS

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
    digits = _Digits(pc.if_else(shaped, col, _SAFE))  # ASCII, fixed positions from here on
    y, mo, d = digits.number(0, 4), digits.number(5, 7), digits.number(8, 10)
    hh, mm, ss = digits.number(11, 13), digits.number(14, 16), digits.number(17, 19)
    zoned = digits.lengths == len(_SAFE)  # "Z" or no suffix: UTC
    oh = np.where(zoned, digits.number(20, 22, zoned), 0)
    om = np.where(zoned, digits.number(23, 25, zoned), 0)
    west = zoned & (digits.byte(19, zoned) == ord("-"))
    mo_ok = (mo >= 1) & (mo <= 12)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = _DAYS[np.where(mo_ok, mo, 1)] + ((mo == 2) & leap)
    valid = mo_ok & (y >= 1) & (d >= 1) & (d <= month_days)
    valid &= (hh <= 23) & (mm <= 59) & (ss <= 59) & (oh <= 23) & (om <= 59)
    off = (oh * 3600 + om * 60) * np.where(west, -1, 1)
    ts = _days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - off
    decided = valid & (ts >= 0) & (ts < MAX_TS)
    decided &= np.asarray(shaped.to_numpy(zero_copy_only=False))
    return pa.array(ts, pa.int64()), pa.array(decided, pa.bool_())


class _Digits:
    """Bytes at fixed positions of every string of an ASCII string array, via numpy."""

    def __init__(self, text: pa.Array) -> None:
        text = text.cast(pa.large_string())  # 64-bit offsets
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)
        offsets = offsets[text.offset : text.offset + len(text) + 1]
        self.data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
        self.starts = offsets[:-1]
        self.lengths = np.diff(offsets)

    def byte(self, pos: int, where: np.ndarray[Any, Any] | None = None) -> Ints:
        """Byte ``pos`` of each string (0 where ``where`` is False)."""
        at = self.starts + pos
        if where is not None:
            at = np.where(where, at, 0)
        return np.asarray(self.data[at], dtype=np.int64)

    def number(self, start: int, stop: int, where: np.ndarray[Any, Any] | None = None) -> Ints:
        """The decimal number written in bytes ``start:stop`` of each string."""
        value = np.zeros(len(self.starts), dtype=np.int64)
        for pos in range(start, stop):
            value = value * 10 + self.byte(pos, where) - ord("0")
        return value


def _days_from_civil(y: Ints, m: Ints, d: Ints) -> Ints:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468, dtype=np.int64)
