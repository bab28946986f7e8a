"""An imported opt-out event withdraws the channel's consent (it used to leave it granted)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from tests.cdp.import_support import IMPORT_DATA, write_csv
from userops.cdp.ingest.importer import import_file

HEADER = "user_id,type,ts,channel"


def _consents(engine: Engine) -> dict[tuple[str, str], tuple[str, str | None, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.external_id, c.channel, c.status, c.source, c.ts FROM consents c"
                " JOIN users u ON u.id = c.user_id"
            )
        ).all()
    return {(r[0], r[1]): (r[2], r[3], int(r[4])) for r in rows}


def _audits(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT entity_id FROM audit WHERE action = 'consent.set' ORDER BY id")
            ).scalars()
        )


def test_imported_opt_outs_withdraw_consent_newer_wins(any_engine: Engine, tmp_path: Path) -> None:
    import_file(any_engine, "users", IMPORT_DATA / "users.csv")
    grants = write_csv(
        tmp_path / "c.csv",
        "user_id,channel,status,ts",
        ["app-1,sms,granted,1000", "app-1,email,granted,5000", "web-7,sms,granted,1000"],
    )
    import_file(any_engine, "consents", grants)
    before = len(_audits(any_engine))
    opt_outs = write_csv(
        tmp_path / "e.csv",
        HEADER,
        [
            "app-1,message_opted_out,2000,sms",  # newer than the grant: withdraws
            "app-1,message_opted_out,1500,sms",  # the newest of the file counts
            "app-1,message_opted_out,4000,email",  # older than the e-mail grant: nothing
            "web-7,message_opted_out,3000,",  # no channel: an event, no withdrawal
            "web-7,message_opened,3000,sms",  # not an opt-out
            "app-1,message_opted_out,2500,app_push",  # no consent stored: a withdrawn one
        ],
    )
    res = import_file(any_engine, "events", opt_outs)
    assert res.inserted == 6 and res.extra["consents_withdrawn"] == 2
    got = _consents(any_engine)
    assert got[("app-1", "sms")] == ("withdrawn", "import:opt_out", 2000)
    assert got[("app-1", "email")] == ("granted", None, 5000)
    assert got[("web-7", "sms")] == ("granted", None, 1000)
    assert got[("app-1", "app_push")] == ("withdrawn", "import:opt_out", 2500)
    assert len(_audits(any_engine)) == before + 2
    again = import_file(any_engine, "events", opt_outs)  # a re-import changes nothing
    assert again.inserted == 0 and again.extra["consents_withdrawn"] == 0
    assert _consents(any_engine) == got and len(_audits(any_engine)) == before + 2
