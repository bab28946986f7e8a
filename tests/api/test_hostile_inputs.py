"""The probe's hostile half: every route, every parameter and body field, no 5xx.

Each documented route gets, one at a time: long strings (10 kB to 1 MB), NUL bytes, lone
surrogates (invalid UTF-8 once encoded), integers of 2^63 and more, 10,000-deep JSON in a
field; and whole bodies that are invalid UTF-8, raw NUL, 10,000 levels deep, a 5,000-digit
integer literal, NaN, a 1 MB string or truncated. The web inbox routes get hostile query
strings. Any 5xx, dropped connection or hang is listed with the request that caused it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.api.probe_support import (
    PARAMS,
    UNDOCUMENTED,
    Request,
    hostile_requests,
    operations,
    probe_site,
    send,
)

pytestmark = pytest.mark.probe


def _probe(engine: Engine, home: Path, database_url: str | None = None) -> None:
    sent: Counter[str] = Counter()
    site = probe_site(engine, home, database_url)
    with site as probe, httpx.Client(timeout=30) as client:
        for method, path, op in operations(probe.spec):
            for req in hostile_requests(method, path, op, probe.ids):
                send(probe, client, req)
                sent[f"{method} {path}"] += 1
            if op.get("parameters") or op.get("requestBody"):
                assert sent[f"{method} {path}"] > 0, (method, path)
        for method, path in UNDOCUMENTED:
            for name, value in PARAMS.items():
                send(probe, client, Request(f"q={name}", method, path, {"q": value}))
                sent[f"{method} {path}"] += 1
    report = "\n".join(probe.found)
    assert not probe.found, f"{len(probe.found)} server errors:\n{report}"
    assert len(sent) >= 26 and 422 in probe.codes and 200 in probe.codes


def test_hostile_inputs_get_no_server_error(sqlite_engine: Engine, home: Path) -> None:
    _probe(sqlite_engine, home)


@pytest.mark.pg
def test_hostile_inputs_get_no_server_error_on_postgresql(
    pg_engine: Engine, pg_url: str, home: Path
) -> None:
    _probe(pg_engine, home, pg_url)
