"""Several processes opening one fresh local Chroma directory at once all succeed."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path


def _open(home: str, start: object, out: object) -> None:
    from userops.cdp.search.index import chroma_client
    from userops.settings import Settings

    start.wait()  # type: ignore[attr-defined]
    try:
        client = chroma_client(Settings(home=Path(home), embedding="hashing"))
        client.get_or_create_collection("race", embedding_function=None)
        out.put("ok")  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the test, which fails on it
        out.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


def test_workers_open_a_fresh_directory_together(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(str(tmp_path), start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == ["ok"] * 4
