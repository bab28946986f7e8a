"""Dedupe keys of events: one definition (:func:`dedupe_key`), also built for whole columns.

The key is the SHA-1 of the event id (after a unit separator) when the file gives an event
id, else of the compact JSON array of the event's normalized values (external user id
first, properties with sorted keys). :func:`column_keys` builds the same text with Arrow
kernels where that is plain string work (no properties, nothing to escape) and calls
:func:`dedupe_key` for the other rows, so a re-import finds the keys an earlier import
stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

VALUES = ("type", "ts", "channel", "amount", "quantity", "campaign_id", "text", "properties")
"""Normalized event fields in the key, in order (after the external user id)."""
_ESCAPED = '["\\\\\\x00-\\x1f]'
"""A character ``json.dumps(..., ensure_ascii=False)`` writes escaped."""


def dedupe_key(ext: str, rec: dict[str, Any]) -> str:
    """Stable hash of a normalized event (or of its ``event_id`` when the file has one)."""
    if rec.get("event_id"):
        basis = "id\x1f" + str(rec["event_id"])
    else:
        values = [ext, *(rec.get(c) for c in VALUES)]
        basis = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(basis.encode()).hexdigest()


def column_keys(event_id: pa.Array, ext: pa.Array, values: dict[str, pa.Array]) -> pa.Array:
    """:func:`dedupe_key` of every row.

    ``values`` holds the ``VALUES`` columns: properties as the JSON text of the object, null
    where absent.
    """
    texts = [ext, values["type"], values["channel"], values["campaign_id"], values["text"]]
    odd = pc.invert(pc.is_null(values["properties"]))
    for col in texts:
        odd = pc.or_(odd, pc.fill_null(pc.match_substring_regex(col, _ESCAPED), False))
    parts = [
        _string(ext),
        _string(values["type"]),
        _number(values["ts"]),
        _string(values["channel"]),
        _float(values["amount"]),
        _number(values["quantity"]),
        _string(values["campaign_id"]),
        _string(values["text"]),
        pa.array(["null"] * len(ext), pa.string()),
    ]
    basis = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*parts, ","), "]", "")
    has_id = pc.fill_null(pc.not_equal(event_id, ""), False)
    basis = pc.if_else(has_id, pc.binary_join_element_wise("id\x1f", event_id, ""), basis)
    keys = [hashlib.sha1(b).hexdigest() for b in basis.cast(pa.binary()).to_pylist()]
    redo = pc.and_(odd, pc.invert(has_id))
    if bool(pc.any(redo).as_py()):
        rows = pa.table({"event_id": event_id, "ext": ext, **values}).filter(redo).to_pylist()
        where = pc.indices_nonzero(redo).to_pylist()
        for i, row in zip(where, rows, strict=True):
            props = row["properties"]
            row["properties"] = None if props is None else json.loads(props)
            keys[i] = dedupe_key(row.pop("ext"), row)
    return pa.array(keys, pa.string())


def _string(col: pa.Array) -> pa.Array:
    return pc.fill_null(pc.binary_join_element_wise('"', col, '"', ""), "null")


def _number(col: pa.Array) -> pa.Array:
    return pc.fill_null(pc.cast(col, pa.string()), "null")


def _float(col: pa.Array) -> pa.Array:
    """``float.__repr__`` of each value, as ``json.dumps`` writes floats."""
    return pa.array(["null" if x is None else repr(x) for x in col.to_pylist()], pa.string())
