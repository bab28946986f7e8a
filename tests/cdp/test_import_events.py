from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from tests.cdp.import_support import IMPORT_DATA, snapshot, write_csv
from userops.cdp.ingest.importer import import_file


def _load_users(engine: Engine) -> None:
    import_file(engine, "users", IMPORT_DATA / "users.csv")


def test_events_csv_then_jsonl_dedupes_and_reimport_is_noop(any_engine: Engine) -> None:
    _load_users(any_engine)
    res = import_file(any_engine, "events", IMPORT_DATA / "events.csv")
    assert (res.rows, res.inserted, res.unchanged) == (4, 4, 0)
    with any_engine.connect() as conn:
        order = conn.execute(
            text(
                "SELECT e.ts, e.amount, e.quantity, e.properties, u.external_id FROM events e"
                " JOIN users u ON u.id = e.user_id WHERE e.type = 'order'"
            )
        ).one()
        opened = conn.execute(
            text("SELECT ts, channel FROM events WHERE type='message_opened'")
        ).one()
    assert order[0] == 1709294400 and order[1] == 199.0 and order[2] == 2 and order[4] == "app-1"
    props = order[3] if isinstance(order[3], dict) else __import__("json").loads(order[3])
    assert props["items"][0]["sku"] == "A1"
    assert tuple(opened) == (1709366400, "sms")  # naive date-time read as UTC
    before = snapshot(any_engine)
    again = import_file(any_engine, "events", IMPORT_DATA / "events.csv")
    assert (again.inserted, again.unchanged) == (0, 4)
    assert snapshot(any_engine) == before
    # the JSONL file repeats the CSV's order (same normalized values) and adds one event
    res = import_file(any_engine, "events", IMPORT_DATA / "events.jsonl")
    assert (res.inserted, res.unchanged) == (1, 1)


def test_event_id_column_is_the_dedupe_basis(sqlite_engine: Engine, tmp_path: Path) -> None:
    _load_users(sqlite_engine)
    header = "event_id,user_id,type,ts,amount"
    first = write_csv(
        tmp_path / "a.csv", header, ["e1,app-1,order,1709294400,10", "e2,app-1,order,1709294400,10"]
    )
    assert import_file(sqlite_engine, "events", first).inserted == 2
    again = write_csv(tmp_path / "b.csv", header, ["e1,app-1,order,1709294400,10"])
    assert import_file(sqlite_engine, "events", again).inserted == 0


def test_consents_newer_wins_and_changes_are_audited(any_engine: Engine, tmp_path: Path) -> None:
    _load_users(any_engine)
    res = import_file(any_engine, "consents", IMPORT_DATA / "consents.csv")
    assert (res.inserted, res.updated) == (3, 0)
    q = (
        "SELECT u.external_id, c.channel, c.status, c.ts FROM consents c"
        " JOIN users u ON u.id = c.user_id ORDER BY u.external_id, c.channel"
    )
    with any_engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(q))]
    assert ("app-1", "sms", "withdrawn", 1709251200) in rows  # the later row of the file wins
    before = snapshot(any_engine)
    assert import_file(any_engine, "consents", IMPORT_DATA / "consents.csv").updated == 0
    assert snapshot(any_engine) == before
    header = "user_id,channel,status,source,ts"
    older = write_csv(tmp_path / "old.csv", header, ["app-1,sms,granted,crm,2023-01-01"])
    assert import_file(any_engine, "consents", older).updated == 0
    newer = write_csv(tmp_path / "new.csv", header, ["app-1,sms,granted,crm,2025-01-01"])
    assert import_file(any_engine, "consents", newer).updated == 1
    with any_engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM audit WHERE action='consent.set' AND actor='import'")
        ).scalar()
        status = conn.execute(
            text(
                "SELECT status FROM consents c JOIN users u ON u.id=c.user_id"
                " WHERE u.external_id='app-1' AND channel='sms'"
            )
        ).scalar()
    assert n == 4 and status == "granted"
