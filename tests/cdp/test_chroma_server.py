"""Chroma in client/server mode, chosen by URL: a real ``chroma run`` on a free local port.

Profile search and the lesson memory go through ``USEROPS_CHROMA_URL`` (``HttpClient``) with
our own embedding function; a second client (another API worker, say) sees the same index,
and nothing is written to the local Chroma directory. About 10 s, most of it the server's
start-up: the only test of the client/server mode.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from evals.search_recall import language_filter, load_population, make_population
from userops.cdp.search.index import ProfileSearch
from userops.cdp.search.summaries import build_summaries
from userops.settings import Settings


def _chroma_bin() -> str | None:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else shutil.which("chroma")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A ``chroma run`` server on a free loopback port over a temporary directory."""
    exe = _chroma_bin()
    if exe is None:
        pytest.skip("the `chroma` CLI (chromadb package) is not installed: no `chroma run`")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "chroma run did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_profile_search_and_lessons_through_a_chroma_server(
    sqlite_engine: Engine, home: Path, chroma_url: str
) -> None:
    from tools.memory import LessonMemory

    people: list[dict[str, Any]] = make_population(60, seed=5)
    load_population(sqlite_engine, people)
    build_summaries(sqlite_engine)
    settings = Settings(home=home, embedding="hashing", chroma_url=chroma_url)
    ps = ProfileSearch(sqlite_engine, settings, segment_filter=language_filter(people))
    assert ps.index_changed() == 60 and ps.count() == 60
    hits = ps.search("coffee 咖啡", k=5)
    assert 0 < len(hits) <= 5
    other = ProfileSearch(sqlite_engine, settings, segment_filter=language_filter(people))
    assert other.count() == 60 and other.index_changed() == 0  # same server-side index
    assert [h.user_id for h in other.search("coffee 咖啡", k=5)] == [h.user_id for h in hits]

    memory = LessonMemory.from_settings(sqlite_engine, settings)
    memory.add("SMS at 20:00 beat push for lapsed buyers", objective="win_back", language="en")
    memory.add("新品推送在周末效果更好", objective="launch", language="zh")
    again = LessonMemory.from_settings(sqlite_engine, settings)
    found = again.search("lapsed buyers SMS", k=1, objective="win_back")
    assert [h.text for h in found] == ["SMS at 20:00 beat push for lapsed buyers"]
    assert not (home / "chroma").exists()  # nothing went to the embedded directory
