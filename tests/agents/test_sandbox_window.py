"""The sandbox delivery runs the worker at the due times of deferred rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from agents.nodes.wiring import sandbox_deliver
from tests.dispatch.factory import add_users, deliveries, outbox_rows, step
from userops.dispatch.models import SendWindow
from userops.store.meta import mark_simulated


def test_window_deferrals_go_out_at_the_window_not_at_fixed_offsets(
    sqlite_engine: Engine, home
) -> None:  # type: ignore[no-untyped-def]
    from userops.settings import Settings

    add_users(sqlite_engine, 3, consent=("sms",))
    mark_simulated(sqlite_engine, "test")
    s = step([1, 2, 3]).model_copy(update={"send_window": SendWindow(start="10:00", end="18:00")})
    now = int(datetime(2026, 5, 28, 13, 10, tzinfo=UTC).timestamp())  # 21:10 CST
    # +12 h is 09:10 CST and +24 h 21:10 CST: both outside the window
    out = sandbox_deliver(sqlite_engine, [s], settings=Settings(home=home), now_ts=now)
    assert out["sent"] == 3
    due = int(datetime(2026, 5, 29, 2, tzinfo=UTC).timestamp())  # 10:00 CST next day
    assert {r[2] for r in outbox_rows(sqlite_engine)} == {"sent"}
    assert {d[3] for d in deliveries(sqlite_engine)} == {due}
