"""Data-subject requests on the store: export, erase, all-or-nothing, re-import (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from tests.cdp.dsr_support import (
    BIG,
    BYSTANDER,
    EMAIL,
    MERGED,
    NEEDLES,
    OTHER,
    PHONE,
    dump_store,
    seed_person,
    traces,
)
from tests.cdp.import_support import USER_HEADER, write_csv
from userops.campaign_sends import outbox_totals, policy_violations
from userops.cdp.dsr import erase as erase_mod
from userops.cdp.dsr.erase import erase_person
from userops.cdp.dsr.export import FORMAT, dumps, export_person, summary
from userops.cdp.dsr.person import AlreadyErased
from userops.cdp.identity.resolve import resolve_identities
from userops.cdp.ingest.importer import import_file
from userops.errors import NotFound
from userops.store.models import AuditLog, Outbox, User

SECTIONS = (
    "records",
    "identities",
    "identity_merges",
    "consents",
    "events",
    "traits",
    "campaign_members",
    "ingest_messages",
    "audit",
    "mentions",
)


def test_export_of_a_merged_record_holds_every_kind_of_row(any_engine: Engine) -> None:
    seed_person(any_engine)
    doc = export_person(any_engine, MERGED, actor="root")
    assert doc["format"] == FORMAT and doc["version"] == 1
    assert doc["canonical_id"] == BIG and doc["record_ids"] == [BIG, MERGED]
    for section in SECTIONS:
        assert doc[section], section
    assert len(doc["records"]) == 2 and len(doc["events"]) == 2 and len(doc["consents"]) == 2
    assert [r["user_id"] for r in doc["messages"]["outbox"]] == [BIG]
    assert [r["user_id"] for r in doc["messages"]["deliveries"]] == [BIG]
    assert doc["traits"][0]["summary"].startswith("Loyal")
    assert {a["action"] for a in doc["audit"]} == {"identity.merge", "consent.set"}
    places = {(m["table"], m["column"]) for m in doc["mentions"]}
    assert places == {
        ("campaigns", "goal"),
        ("campaigns", "plan"),
        ("approvals", "card"),
        ("approvals", "comment"),
        ("thread_events", "data"),
        ("lessons", "text"),
        ("audit", "detail"),
    }
    preview = [m for m in doc["mentions"] if m["path"].endswith("sample_user.user_id")]
    assert preview and all(m["value"] == BIG for m in preview)
    assert BYSTANDER not in dumps(doc)  # the bystander's preview is not theirs
    again = export_person(any_engine, BIG)  # the same, but the first export is now audited
    assert [a["action"] for a in again["audit"]][-1] == "privacy.export"
    skip = {"exported_at": 0, "requested_id": 0, "audit": 0}
    assert {**again, **skip} == {**doc, **skip}
    assert json.loads(dumps(doc)) == doc
    assert summary(doc)["counts"]["messages.outbox"] == 1
    with any_engine.connect() as conn:
        audited = conn.execute(
            select(AuditLog.actor).where(AuditLog.action == "privacy.export")
        ).all()
    assert audited == [("root",)]


def test_erase_leaves_no_trace_and_keeps_the_bystander(any_engine: Engine) -> None:
    seed_person(any_engine)
    export_person(any_engine, BIG, actor="root")  # its audit row must go as well
    res = erase_person(any_engine, MERGED, "root")
    assert res.status == "erased" and res.records == 2
    assert res.removed["users"] == 2 and res.removed["events"] == 2
    assert res.anonymised == {"outbox": 1, "deliveries": 1}
    assert traces(any_engine, NEEDLES, (BIG, MERGED)) == []
    with any_engine.connect() as conn:
        kept = conn.execute(
            select(Outbox.user_id, Outbox.state, Outbox.reason, Outbox.cost).order_by(Outbox.id)
        ).all()
        erase_rows = conn.execute(
            select(AuditLog.actor, AuditLog.entity_type, AuditLog.detail).where(
                AuditLog.action == "privacy.erase"
            )
        ).all()
        card = conn.execute(text("SELECT card FROM approvals")).scalar_one()
        users = conn.execute(select(User.id, User.name)).all()
    assert kept == [(0, "erased", "sent", 0.05), (OTHER, "sent", None, 0.05)]
    assert len(erase_rows) == 1 and erase_rows[0][:2] == ("root", "erasure")
    assert erase_rows[0][2]["records"] == 2 and erase_rows[0][2]["removed"]["users"] == 2
    card = json.loads(card) if isinstance(card, str) else card
    assert card["previews"][0]["sample_user"] == {"user_id": 0, "name": "[erased]"}
    assert card["previews"][1]["sample_user"] == {"user_id": OTHER, "name": BYSTANDER}
    assert users == [(OTHER, BYSTANDER)]
    totals = outbox_totals(any_engine, "c1", ["s1"])
    assert (totals["sent"], totals["erased"], totals["queued"]) == (1, 1, 0)
    assert policy_violations(any_engine, "c1") == 0  # no send to an unknown person
    with pytest.raises(AlreadyErased):
        export_person(any_engine, BIG)
    again = erase_person(any_engine, BIG, "root")
    assert again.status == "already_erased" and again.erasure_id == res.erasure_id
    with pytest.raises(NotFound):
        erase_person(any_engine, 424242, "root")


def test_a_failure_midway_erases_nothing(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_person(any_engine)
    before = dump_store(any_engine)
    real = erase_mod._anonymise_messages

    def then_fail(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        raise RuntimeError("disk gone")

    monkeypatch.setattr(erase_mod, "_anonymise_messages", then_fail)
    with pytest.raises(RuntimeError, match="disk gone"):
        erase_person(any_engine, BIG, "root")
    assert dump_store(any_engine) == before
    monkeypatch.setattr(erase_mod, "_anonymise_messages", real)
    assert erase_person(any_engine, BIG, "root").status == "erased"
    assert traces(any_engine, NEEDLES, (BIG, MERGED)) == []


def test_reimport_of_an_erased_phone_is_a_new_unlinked_user(
    any_engine: Engine, tmp_path: Path
) -> None:
    seed_person(any_engine)
    erase_person(any_engine, BIG, "root")
    path = write_csv(
        tmp_path / "again.csv",
        USER_HEADER,
        [
            f"new-1,Wei,{PHONE},,,,,,,2025-01-01",
            "new-2,Someone,13600000002,,,,,,,2025-01-01",
            f"new-3,Wei Z,,{EMAIL},,,,,,2025-01-01",
        ],
    )
    res = import_file(any_engine, "users", path)
    assert res.inserted == 3 and res.merges == 0
    assert res.extra["erased_matches"] == 2
    assert res.extra["erased_notes"] == [
        f"{path}:2 phone: this identifier belongs to an erased person; imported as a new user",
        f"{path}:4 email: this identifier belongs to an erased person; imported as a new user",
    ]
    assert resolve_identities(any_engine) == 0
    with any_engine.connect() as conn:
        rows = conn.execute(
            select(User.external_id, User.merged_into).where(User.external_id.like("new-%"))
        ).all()
        merges = conn.execute(text("SELECT count(*) FROM identity_merges")).scalar_one()
    assert sorted(rows) == [("new-1", None), ("new-2", None), ("new-3", None)]
    assert merges == 0
    clean = write_csv(tmp_path / "clean.csv", USER_HEADER, ["new-9,X,13600000009,,,,,,,"])
    assert "erased_matches" not in import_file(any_engine, "users", clean).extra
