"""Per-user numpy columns aligned with sorted canonical ids (the traits build's row index)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Table:
    """Per-user numpy columns aligned with the sorted canonical ids."""

    def __init__(self, ids: np.ndarray[Any, Any]) -> None:
        self.ids = ids
        self.n = len(ids)

    def scatter(
        self, rows: Sequence[Any], ncols: int, fill: float = 0.0
    ) -> list[np.ndarray[Any, Any]]:
        """Place numeric columns 1..ncols of ``rows`` (keyed by column 0) into arrays."""
        out = [np.full(self.n, fill, dtype=np.float64) for _ in range(ncols)]
        if not rows:
            return out
        data = np.array([tuple(r) for r in rows], dtype=np.float64)  # None becomes NaN
        pos, ok = self.positions(data[:, 0].astype(np.int64))
        for i in range(ncols):
            col = data[ok, i + 1]
            out[i][pos[ok]] = np.where(np.isnan(col), fill, col)
        return out

    def positions(
        self, uids: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Return the row index of each uid and whether it is a canonical user."""
        pos = np.clip(np.searchsorted(self.ids, uids), 0, max(self.n - 1, 0))
        return pos, self.ids[pos] == uids if self.n else np.zeros(len(uids), dtype=bool)

    def labels(self, rows: Sequence[Any], *, join: bool = False) -> np.ndarray[Any, Any]:
        """Map (uid, label) rows to one label per user (or ``,a,b,`` lists when ``join``).

        With ``join``, rows of one user must be adjacent and in rank order.
        """
        out = np.full(self.n, "" if join else None, dtype=object)
        if not rows:
            return out
        pos, ok = self.positions(np.array([r[0] for r in rows], dtype=np.int64))
        vals = np.array([r[1] for r in rows], dtype=object)[ok]
        pos = pos[ok]
        if not len(pos):
            return out
        if not join:
            out[pos] = vals
            return out
        starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
        out[pos[starts]] = "," + np.add.reduceat(vals + ",", starts)
        return out
