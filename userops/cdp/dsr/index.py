"""Remove an erased person's profile documents from the search index (Chroma).

The documents are keyed by user id in every ``profiles*`` collection. The person's trait
rows are first marked unindexed (committed): if the store part of the erase then fails, the
next ``userops profiles index`` puts the still-stored profile back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, update

from userops.cdp.dsr.person import TRAITS, Person
from userops.settings import Settings


def index_step(engine: Engine, settings: Settings) -> Any:
    """An ``outside`` step of :func:`userops.cdp.dsr.erase.erase_person` for the index."""

    def step(person: Person) -> dict[str, int]:
        return {"index_documents": remove_from_index(engine, settings, person.ids)}

    return step


def remove_from_index(engine: Engine, settings: Settings, ids: list[int]) -> int:
    """Delete the documents of ``ids`` from every profile collection; return how many.

    A store that never built an index (no local Chroma directory, no server) has none.
    """
    with engine.begin() as conn:
        conn.execute(update(TRAITS).where(TRAITS.c.user_id.in_(ids)).values(indexed_hash=None))
    if not settings.chroma_url and not (settings.home / "chroma").is_dir():
        return 0
    from userops.cdp.search.index import chroma_client

    client = chroma_client(settings)
    keys = [str(i) for i in ids]
    removed = 0
    for entry in client.list_collections():
        name = entry if isinstance(entry, str) else entry.name
        if name != "profiles" and not name.startswith("profiles_"):
            continue
        col = client.get_collection(name, embedding_function=None)
        found = col.get(ids=keys, include=[])["ids"]
        if found:
            col.delete(ids=found)
        removed = max(removed, len(found))
    return removed
