"""Tell the operator when an imported identifier belonged to an erased person.

After an erase the store holds only keyed digests of the person's identifiers
(:mod:`userops.store.erasures`). A users import compares the digests of its records'
external ids and identifiers with them; a match becomes a note ("belongs to an erased
person; imported as a new user"): the record is imported as it is, linked to nothing of the
erased history (none is left to link to). Costs nothing on a store that never erased anyone.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import Connection

from userops.store.erasures import any_erasures, digest, digest_key, known_digests

COLUMNS = ("external_id", "phone", "email", "wechat_openid", "wechat_unionid", "device_id")
SHOWN = 50
NOTE = "this identifier belongs to an erased person; imported as a new user"


def erased_notes(
    conn: Connection, table: pa.Table, lines: list[int], source: str
) -> dict[str, Any]:
    """``{"erased_matches": n, "erased_notes": [...]}`` for the records of ``table``.

    Empty when nothing matched. ``lines``: each record's line in ``source``.
    """
    if not any_erasures(conn):
        return {}
    key = digest_key(conn, create=False)
    if key is None:
        return {}
    notes: list[tuple[int, str]] = []
    for col in COLUMNS:
        if col not in table.column_names:
            continue
        values = table.column(col).to_pylist()
        kind = "external_id" if col == "external_id" else col
        digests = {i: digest(key, kind, str(v)) for i, v in enumerate(values) if v is not None}
        hits = known_digests(conn, kind, sorted(set(digests.values())))
        field = "user_id" if col == "external_id" else col
        notes.extend((lines[i], field) for i, d in digests.items() if d in hits)
    if not notes:
        return {}
    notes.sort()
    return {
        "erased_matches": len(notes),
        "erased_notes": [f"{source}:{line} {field}: {NOTE}" for line, field in notes[:SHOWN]],
    }
