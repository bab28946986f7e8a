"""Helpers of the ingestion tests: a source, a request, the store's rows."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, text

from userops.cdp.stream.batch import Outcome, ingest
from userops.cdp.stream.sources import Sender, add_source, authenticate

TABLES = ("users", "identities", "identity_merges", "consents", "events", "ingest_messages")


def sender(engine: Engine, name: str = "web", touchpoint: str | None = "web") -> Sender:
    """A new source's authenticated sender."""
    _, key = add_source(engine, name, touchpoint)
    found = authenticate(engine, key)
    assert found is not None
    return found


def send(engine: Engine, who: Sender, *messages: dict[str, Any], **batch: Any) -> Outcome:
    """Ingest ``messages`` as one ``/v1/batch`` body."""
    return ingest(engine, who, orjson.dumps({"batch": list(messages), **batch}))


def rows(engine: Engine, table: str, where: str = "") -> list[dict[str, Any]]:
    """Every row of ``table`` (ordered by its first column), JSON columns decoded."""
    with engine.connect() as conn:
        got = conn.execute(text(f"SELECT * FROM {table} {where} ORDER BY 1, 2")).mappings()
        out = []
        for r in got:
            row = dict(r)
            for k in ("properties", "attributes", "detail"):
                if isinstance(row.get(k), str):
                    row[k] = orjson.loads(row[k])
            out.append(row)
        return out


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table ingestion writes (and the audit log)."""
    out = {t: rows(engine, t) for t in TABLES}
    out["audit"] = [{k: v for k, v in r.items() if k != "at"} for r in rows(engine, "audit")]
    return out


def user(engine: Engine, external_id: str) -> dict[str, Any]:
    """The record of ``external_id``."""
    found = rows(engine, "users", f"WHERE external_id = '{external_id}'")
    assert len(found) == 1, found
    return found[0]


def canonical(engine: Engine, external_id: str) -> int:
    """The canonical user id of record ``external_id``."""
    u = user(engine, external_id)
    return int(u["merged_into"] or u["id"])


ORDER = {"type": "track", "event": "Order Completed", "properties": {"total": 30}}


def with_population(engine: Engine) -> Sender:
    """Twelve buyers, a full build (the population updates score against), no marks left."""
    from userops.cdp.traits.build import build_profiles
    from userops.cdp.traits.due import catch_up

    crm = sender(engine, "crm")
    send(engine, crm, *({**ORDER, "userId": f"u{i}", "timestamp": "2026-11-01T10:00:00Z"}
                        for i in range(12)))  # fmt: skip
    build_profiles(engine)
    catch_up(engine)
    return crm


def orders_total(engine: Engine, external_id: str) -> int:
    """``orders_total`` of the trait row of ``external_id``'s user (0 without a row)."""
    got = rows(engine, "traits", f"WHERE user_id = {canonical(engine, external_id)}")
    return int(got[0]["orders_total"]) if got else 0
