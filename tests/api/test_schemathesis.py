"""The probe's generated half: schemathesis cases for every route and role, no 5xx.

Cases come from /openapi.json (every ``/v1`` route and the LangGraph-compatible ones) and go
to a real uvicorn server over loopback with the token of each role: operator, approver,
admin. The thread follow stream never ends by design: its status line is read, then the
client leaves. The web inbox routes, outside the schema, are in the hostile half.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.api.probe_support import ROLES, STREAMS, Probe, operations, probe_site

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.probe
EXAMPLES = int(os.environ.get("USEROPS_TEST_SCHEMATHESIS_EXAMPLES", "10"))


def _stream_status(probe: Probe, case: Any, headers: dict[str, str]) -> int:
    kw = case.as_transport_kwargs(base_url=probe.url, headers=headers)
    with httpx.stream(
        kw["method"], kw["url"], params=kw.get("params"), headers=kw["headers"], timeout=10
    ) as r:
        return r.status_code


@pytest.mark.parametrize("role", list(ROLES))
def test_no_server_errors(sqlite_engine: Engine, home: Path, role: str) -> None:
    with probe_site(sqlite_engine, home) as probe:
        schema = schemathesis.openapi.from_dict(probe.spec)
        headers = probe.auth(role)
        codes: Counter[int] = Counter()
        seen = []
        for result in schema.get_all_operations():
            op = result.ok()
            seen.append(f"{op.method.upper()} {op.path}")

            @given(case=op.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                if case.path.endswith(STREAMS):
                    status = _stream_status(probe, case, headers)
                else:
                    status = case.call(base_url=probe.url, headers=headers, timeout=30).status_code
                codes[status] += 1
                assert status < 500, (case.method, case.formatted_path, case.body)

            check()
    documented = {f"{m} {p}" for m, p, _ in operations(probe.spec)}
    assert sorted(seen) == sorted(documented) and len(seen) >= 25
    assert any(p.startswith("POST /threads/") for p in seen)  # the LangGraph-compatible routes
    assert codes[200] and codes[422]  # authenticated, and invalid input was tried
    if role == "approver":
        assert codes[403]  # the role checks answered, not a server error
