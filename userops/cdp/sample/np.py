"""Array types and vectorized string building shared by the seed modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
OBJ = npt.NDArray[np.object_]
Columns = list[list[Any]]
"""A table's rows as one Python list per column (zipped into rows by the writer)."""
STR = StringDType()
"""numpy's variable-length string dtype: concatenation runs in C, not per row in Python."""


def cat(*parts: Any) -> npt.NDArray[Any]:
    """Concatenate string arrays and scalars element-wise.

    Adjacent parts are joined pairwise (a balanced tree), so each byte is copied about
    ``log2(len(parts))`` times instead of ``len(parts)`` times.
    """
    items: list[Any] = [
        p.astype(STR) if isinstance(p, np.ndarray) and p.dtype != STR else p for p in parts
    ]
    while len(items) > 1:
        pairs = [np.strings.add(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        items = pairs + ([items[-1]] if len(items) % 2 else [])
    out = items[0]
    return out if isinstance(out, np.ndarray) else np.asarray(out, dtype=STR)


def num(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Numbers as their shortest decimal text (valid JSON for finite values)."""
    return values.astype(STR)
