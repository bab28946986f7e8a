"""Profile search: incremental indexing, segment filters, embeddings, recall floor, CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update
from typer.testing import CliRunner

from evals.search_recall import (
    evaluate,
    language_filter,
    load_population,
    make_population,
)
from userops.cdp.search.embeddings import HashingEmbedding, OpenAIEmbedding, get_embedding_function
from userops.cdp.search.index import ProfileSearch
from userops.cdp.search.summaries import build_summaries
from userops.cdp.segments.spec import SegmentSpec
from userops.cli.main import app
from userops.errors import UsageError
from userops.settings import Settings
from userops.store.models import Trait

# recall@10 on evals/data/search_queries.yaml (docs/search.md): hashing measured 0.678 on the
# 600-person population; the floor leaves room for small template changes but catches a
# broken ranking. The default (static) is held to the previous default's figures in
# tests/cdp/test_search_static.py.
HASHING_RECALL_FLOOR = 0.62


@pytest.fixture
def population(sqlite_engine: Engine) -> list[dict[str, Any]]:
    """120 fixture people loaded and summarized in the test store."""
    people = make_population(120, seed=11)
    load_population(sqlite_engine, people)
    build_summaries(sqlite_engine)
    return people


def _search(engine: Engine, home: Path, people: list[dict[str, Any]]) -> ProfileSearch:
    settings = Settings(home=home, embedding="hashing")
    return ProfileSearch(engine, settings, segment_filter=language_filter(people))


def test_reindex_touches_only_changed_profiles(
    sqlite_engine: Engine, home: Path, population: list[dict[str, Any]]
) -> None:
    ps = _search(sqlite_engine, home, population)
    assert ps.index_changed() == 120 and ps.upserts == 120 and ps.count() == 120
    assert ps.index_changed() == 0 and ps.upserts == 120
    with sqlite_engine.begin() as conn:
        conn.execute(update(Trait).where(Trait.user_id.in_([3, 4])).values(interests=",books,"))
    assert build_summaries(sqlite_engine) == 2
    reopened = _search(sqlite_engine, home, population)
    assert reopened.index_changed() == 2 and reopened.upserts == 2
    assert reopened.count() == 120
    assert reopened.search("图书", k=1)[0].user_id == 3  # user 3 is zh, user 4 en
    assert reopened.search("books", k=1)[0].user_id in (3, 4)
    with sqlite_engine.begin() as conn:
        conn.execute(delete(Trait).where(Trait.user_id == 3))
    assert reopened.prune() == 1 and reopened.count() == 119
    assert 3 not in reopened.search_ids("图书", k=5)


def test_where_narrows_results(
    sqlite_engine: Engine, home: Path, population: list[dict[str, Any]]
) -> None:
    ps = _search(sqlite_engine, home, population)
    ps.index_changed()
    zh = {p["user_id"] for p in population if p["language"] == "zh"}
    plain = ps.search("coffee 咖啡", k=20)
    assert {h.user_id for h in plain} - zh, "without a filter both languages come back"
    spec = SegmentSpec.model_validate({"all": [{"field": "language", "op": "=", "value": "zh"}]})
    narrowed = ps.search("coffee 咖啡", k=20, where=spec)
    assert narrowed and {h.user_id for h in narrowed} <= zh


def test_where_uses_the_segment_compiler(
    sqlite_engine: Engine, home: Path, population: list[dict[str, Any]]
) -> None:
    ps = ProfileSearch(sqlite_engine, Settings(home=home, embedding="hashing"))
    ps.index_changed()
    churned = {p["user_id"] for p in population if p["stage"] == "churned"}
    spec = SegmentSpec.model_validate(
        {"all": [{"field": "lifecycle_stage", "op": "=", "value": "churned"}]}
    )
    hits = ps.search("coffee lovers", k=50, where=spec)
    assert hits and {h.user_id for h in hits} <= churned


def test_hashing_glossary_crosses_languages() -> None:
    fn = HashingEmbedding()
    docs = fn(["成熟期用户。兴趣：咖啡。", "Mature user. Interests: tea."])
    (q,) = fn.embed_query(["coffee lovers"])
    assert float(docs[0] @ q) > float(docs[1] @ q)


def test_switching_embedding_requires_a_rebuild(sqlite_engine: Engine, home: Path) -> None:
    ProfileSearch(sqlite_engine, Settings(home=home, embedding="hashing"))
    with pytest.raises(UsageError, match="--rebuild"):
        ProfileSearch(sqlite_engine, Settings(home=home, embedding="use"))
    rebuilt = ProfileSearch(sqlite_engine, Settings(home=home, embedding="use"), rebuild=True)
    assert rebuilt.count() == 0


def test_hashing_reaches_its_recall_floor(tmp_path: Path) -> None:
    result = evaluate("hashing", make_population(), tmp_path)
    assert result["recall10_all"] >= HASHING_RECALL_FLOOR, result


class _FakeEmbeddings(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, self.headers.get("Authorization"), body))  # type: ignore[attr-defined]
        data = [
            {"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(body["input"])
        ]
        out = json.dumps({"data": list(reversed(data))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        """Silence the test server."""


@pytest.fixture
def fake_endpoint() -> Iterator[HTTPServer]:
    """An OpenAI-compatible /embeddings endpoint on loopback."""
    server = HTTPServer(("127.0.0.1", 0), _FakeEmbeddings)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_openai_compatible_endpoint(fake_endpoint: HTTPServer) -> None:
    url = f"http://127.0.0.1:{fake_endpoint.server_port}/v1"
    settings = Settings(embedding="openai", embedding_base_url=url, llm_api_key="k")
    fn = get_embedding_function(settings)
    assert isinstance(fn, OpenAIEmbedding)
    vecs = fn(["a", "bbb"])
    assert [float(v[0]) for v in vecs] == [1.0, 3.0]
    path, auth, body = fake_endpoint.seen[0]  # type: ignore[attr-defined]
    assert path == "/v1/embeddings" and auth == "Bearer k"
    assert body == {"model": "text-embedding-3-small", "input": ["a", "bbb"]}
    with pytest.raises(UsageError):
        get_embedding_function(Settings(embedding="openai"))


def test_cli_index_and_search_json(
    sqlite_engine: Engine, population: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USEROPS_EMBEDDING", "hashing")
    runner = CliRunner()
    res = runner.invoke(app, ["profiles", "index", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["indexed"] == 120
    where = json.dumps({"all": [{"field": "lifecycle_stage", "op": "=", "value": "churned"}]})
    res = runner.invoke(
        app, ["profiles", "search", "喜欢咖啡的用户", "-k", "5", "--where", where, "--json"]
    )
    assert res.exit_code == 0, res.output
    hits = json.loads(res.stdout)
    churned = {p["user_id"] for p in population if p["stage"] == "churned"}
    assert hits and len(hits) <= 5 and {h["user_id"] for h in hits} <= churned
    assert all({"user_id", "score", "summary"} <= set(h) for h in hits)
    bad = runner.invoke(app, ["profiles", "search", "x", "--where", '{"all": [{"field": "nope"}]}'])
    assert bad.exit_code != 0
