"""Who one data-subject request is about: the canonical user and every record merged into it.

A request may name any record id: the person is its canonical user (``coalesce(merged_into,
id)``) with every record merged into it, so that exporting or erasing a merged record
covers the whole person. The person's *needles* (what identifies them in free text) are the
names, external ids and identifiers of those records, the national form of a ``+86`` phone
number and the profile summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select

from userops.cdp.dsr.scrub import Scrubber
from userops.errors import NotFound
from userops.store.erasures import digest_key, erased_request
from userops.store.models import Identity, Trait, User

USERS = cast(Table, User.__table__)
IDENTITIES = cast(Table, Identity.__table__)
TRAITS = cast(Table, Trait.__table__)
IDENT_COLUMNS = ("external_id", "phone", "email", "wechat_openid", "wechat_unionid", "device_id")
"""User columns that identify a record (each kept as a digest after an erase)."""


class AlreadyErased(NotFound):
    """The id belonged to a person who was erased (by request ``request_id``)."""

    def __init__(self, user_id: int, request_id: str) -> None:
        super().__init__(f"user {user_id} was erased (erasure {request_id}); nothing is held")
        self.request_id = request_id


@dataclass
class Person:
    """The records of one person and what identifies them."""

    requested_id: int
    canonical_id: int
    ids: list[int]
    """Every record id of the person (canonical first, then ascending)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    identities: list[tuple[str, str]] = field(default_factory=list)
    """Distinct ``(kind, value)`` of the records' identity rows."""
    summaries: list[str] = field(default_factory=list)

    def identifiers(self) -> list[tuple[str, str]]:
        """``(kind, value)`` of every identifier, record ids included (kind ``record``)."""
        found = {("record", str(i)) for i in self.ids}
        for rec in self.records:
            found.update((c, str(rec[c])) for c in IDENT_COLUMNS if rec.get(c))
        found.update(self.identities)
        return sorted(found)

    def needles(self) -> list[str]:
        """Strings that identify the person in free text."""
        out: set[str] = set()
        for rec in self.records:
            name = rec.get("name")
            if name:
                out.update({str(name), " ".join(str(name).split())})
        for kind, value in self.identifiers():
            if kind == "record":
                continue
            out.add(value)
            if kind == "phone" and value.startswith("+86"):
                out.add(value[3:])
        out.update(self.summaries)
        return sorted(out)

    def scrubber(self) -> Scrubber:
        """A :class:`Scrubber` of this person."""
        return Scrubber(self.needles(), self.ids)


def load_person(conn: Connection, user_id: int, *, lock: bool = False) -> Person:
    """Load the person record ``user_id`` belongs to.

    ``lock``: lock their user rows (PostgreSQL ``FOR UPDATE``) for the caller's transaction.

    Raises:
        AlreadyErased: no such record, but the id was erased.
        NotFound: no such record.
    """
    canon = conn.execute(
        select(func.coalesce(USERS.c.merged_into, USERS.c.id)).where(USERS.c.id == user_id)
    ).scalar()
    if canon is None:
        key = digest_key(conn, create=False)
        request = None if key is None else erased_request(conn, key, [("record", str(user_id))])
        if request is not None:
            raise AlreadyErased(user_id, request)
        raise NotFound(f"user {user_id} not found")
    ids = {int(canon)}
    frontier = {int(canon)}
    while frontier:  # merged_into points at the survivor; follow any chain defensively
        found = {
            int(i)
            for (i,) in conn.execute(select(USERS.c.id).where(USERS.c.merged_into.in_(frontier)))
        }
        frontier = found - ids
        ids |= found
    q = select(USERS).where(USERS.c.id.in_(ids)).order_by(USERS.c.id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    records = [dict(r) for r in conn.execute(q).mappings()]
    idents = sorted(
        {
            (str(k), str(v))
            for k, v in conn.execute(
                select(IDENTITIES.c.kind, IDENTITIES.c.value).where(IDENTITIES.c.user_id.in_(ids))
            )
        }
    )
    summaries = [
        str(s)
        for (s,) in conn.execute(
            select(TRAITS.c.summary).where(TRAITS.c.user_id.in_(ids), TRAITS.c.summary.is_not(None))
        )
    ]
    ordered = [int(canon)] + sorted(ids - {int(canon)})
    return Person(user_id, int(canon), ordered, records, idents, summaries)
