"""Property-based requests from /openapi.json (schemathesis): no answer is ever a 5xx."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

schemathesis = pytest.importorskip("schemathesis")

from agents.runtime import open_runtime  # noqa: E402
from tests.agents.loop_doubles import make_deps, seed_users  # noqa: E402
from userops.accounts import add_user  # noqa: E402
from userops.api.app import create_app  # noqa: E402
from userops.settings import Settings  # noqa: E402

TOKEN: dict[str, str] = {}
EXAMPLES = int(os.environ.get("USEROPS_TEST_SCHEMATHESIS_EXAMPLES", "6"))
CODES: list[int] = []


@pytest.fixture
def api_schema(sqlite_engine: Engine, home: Path) -> Iterator[Any]:
    seed_users(sqlite_engine, 20)
    TOKEN["admin"] = add_user(sqlite_engine, "root", "admin")[1]
    s = Settings(home=home, embedding="hashing")
    deps = make_deps(sqlite_engine)
    app = create_app(s, engine=sqlite_engine, loop_deps=deps)
    with open_runtime(settings=s, engine=sqlite_engine, deps=deps) as rt:
        app.state.services.runtime = rt
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema: Any) -> None:
    headers = {"Authorization": f"Bearer {TOKEN['admin']}"}
    seen = []
    for result in api_schema.get_all_operations():
        op = result.ok()
        seen.append(op.label)
        if op.path.endswith("/events"):  # a follow stream never ends by design
            continue

        @given(case=op.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            CODES.append(response.status_code)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                response.text[:300],
            )

        check()
    assert any("decision" in label for label in seen) and len(seen) >= 15
    assert 200 in CODES and 422 in CODES  # authenticated, and invalid input was tried
