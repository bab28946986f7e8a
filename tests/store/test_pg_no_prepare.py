"""PostgreSQL connections never switch to server-side prepared statements (generic plans)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from userops.dispatch.context import load_commits


def test_repeated_array_queries_stay_unprepared(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None and raw.prepare_threshold is None  # type: ignore[attr-defined]
        for _ in range(8):  # psycopg's default would prepare from the 5th run on
            load_commits(conn, {}, now=0, since=0)
            conn.execute(
                text("SELECT count(*) FROM outbox WHERE user_id = ANY(:ids)"), {"ids": [1]}
            )
        prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared == 0
