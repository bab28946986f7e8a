"""Erase removes the person's profile from the search index; a failed erase can restore it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.cdp.dsr_support import BIG, OTHER, SUMMARY, seed_person
from userops.cdp.dsr import erase as erase_mod
from userops.cdp.dsr.erase import erase_person
from userops.cdp.dsr.index import index_step
from userops.cdp.search.index import ProfileSearch
from userops.settings import Settings


def _search(engine: Engine, settings: Settings) -> ProfileSearch:
    return ProfileSearch(engine, settings)


def test_erase_deletes_the_summary_document(sqlite_engine: Engine, home: Path) -> None:
    settings = Settings(home=home, embedding="hashing")
    seed_person(sqlite_engine)
    ps = _search(sqlite_engine, settings)
    assert ps.index_changed() == 2
    assert ps.search_ids(SUMMARY, k=1) == [BIG]
    extra = ps.client.get_or_create_collection("profiles_use", embedding_function=None)
    extra.upsert(ids=[str(BIG), str(OTHER)], documents=["a", "b"], embeddings=[[1.0], [0.5]])
    res = erase_person(sqlite_engine, BIG, "root", outside=[index_step(sqlite_engine, settings)])
    assert res.outside == {"index_documents": 1}
    after = _search(sqlite_engine, settings)
    assert after.search_ids(SUMMARY, k=5) == [OTHER] and after.count() == 1
    assert extra.get(ids=[str(BIG), str(OTHER)])["ids"] == [str(OTHER)]


def test_a_store_failure_after_the_index_step_is_repaired_by_reindexing(
    sqlite_engine: Engine, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=home, embedding="hashing")
    seed_person(sqlite_engine)
    assert _search(sqlite_engine, settings).index_changed() == 2

    def fail(*_: object) -> None:
        raise RuntimeError("store failed")

    monkeypatch.setattr(erase_mod, "_anonymise_messages", fail)
    with pytest.raises(RuntimeError):
        erase_person(sqlite_engine, BIG, "root", outside=[index_step(sqlite_engine, settings)])
    ps = _search(sqlite_engine, settings)
    assert ps.count() == 1
    assert ps.index_changed() == 1 and ps.search_ids(SUMMARY, k=1) == [BIG]


def test_a_store_without_an_index_has_nothing_to_remove(sqlite_engine: Engine, home: Path) -> None:
    seed_person(sqlite_engine)
    step = index_step(sqlite_engine, Settings(home=home, embedding="hashing"))
    assert erase_person(sqlite_engine, BIG, "root", outside=[step]).outside == {
        "index_documents": 0
    }
    assert not (home / "chroma").exists()
