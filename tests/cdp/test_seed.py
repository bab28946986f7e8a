from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import available_timezones

import phonenumbers
import pytest
from sqlalchemy import Engine, text

from userops.cdp.ingest import validate
from userops.cdp.sample.chunk import Plan, chunk_source
from userops.cdp.sample.corpus import INJECTION_TEXTS
from userops.cdp.sample.population import DEFAULT_AS_OF, SeedResult, seed_population
from userops.domain import CHANNELS, ContentType
from userops.errors import BadInput, Conflict
from userops.store.engine import make_engine, upgrade

AS_OF_TS = int(DEFAULT_AS_OF.timestamp())
TABLES = ("users", "identities", "consents", "events")


def _engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _digest(engine: Engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            h = hashlib.sha256()
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                h.update(repr(tuple(row)).encode())
            out[table] = h.hexdigest()
    return out


@pytest.fixture(scope="module")
def zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, SeedResult]:
    engine = _engine(tmp_path_factory.mktemp("zh") / "userops.db")
    result = seed_population(engine, users=4000, seed=11, language="zh")
    yield engine, result
    engine.dispose()


@pytest.fixture(scope="module")
def en(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, SeedResult]:
    engine = _engine(tmp_path_factory.mktemp("en") / "userops.db")
    result = seed_population(engine, users=1500, seed=11, language="en")
    yield engine, result
    engine.dispose()


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_same_inputs_give_identical_rows_and_other_seeds_differ(tmp_path: Path) -> None:
    a, b, c = (_engine(tmp_path / f"{k}.db") for k in "abc")
    seed_population(a, users=300, seed=5, language="zh")
    seed_population(b, users=300, seed=5, language="zh")
    seed_population(c, users=300, seed=6, language="zh")
    assert _digest(a) == _digest(b)
    assert all(_digest(a)[t] != _digest(c)[t] for t in TABLES)


def test_helper_process_produces_the_same_chunks_as_inline() -> None:
    plan = Plan(3, "en", AS_OF_TS)
    with chunk_source(plan, 500, 250, parallel=False) as chunks:
        inline = [c.tables for c in chunks]
    with chunk_source(plan, 500, 250, parallel=True) as chunks:
        forked = [c.tables for c in chunks]
    assert len(inline) == 2
    assert inline == forked


def test_result_counts_match_the_store(zh: tuple[Engine, SeedResult]) -> None:
    engine, result = zh
    assert result.users == 4000
    for table in TABLES:
        (count,) = _rows(engine, f"SELECT count(*) FROM {table}")[0]
        assert count == getattr(result, "records" if table == "users" else table)
    by_type = dict(_rows(engine, "SELECT type, count(*) FROM events GROUP BY type"))
    assert by_type == result.events_by_type
    kept = dict(_rows(engine, "SELECT type, sum(n) FROM event_counts GROUP BY type"))
    assert kept == by_type  # kept by the triggers of migration 0018
    assert 6 <= result.events / result.users <= 12


def test_every_kind_of_event_is_generated(zh: tuple[Engine, SeedResult]) -> None:
    _, result = zh
    for name in (
        "order", "page_view", "app_open", "miniprogram_open", "visit", "message_delivered",
        "message_opened", "message_clicked", "message_converted", "message_opted_out",
        "call_outcome", "feedback", "survey", "ticket",
    ):  # fmt: skip
        assert result.events_by_type.get(name, 0) > 0, name


def test_languages_differ_in_names_and_texts(
    zh: tuple[Engine, SeedResult], en: tuple[Engine, SeedResult]
) -> None:
    def cjk(s: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in s)

    zh_names = [
        r[0] for r in _rows(zh[0], "SELECT name FROM users WHERE source IN ('app','store')")
    ]
    en_names = [r[0] for r in _rows(en[0], "SELECT name FROM users")]
    assert all(cjk(n) for n in zh_names)
    assert not any(cjk(n) for n in en_names)
    zh_texts = [r[0] for r in _rows(zh[0], "SELECT text FROM events WHERE type='feedback'")]
    en_texts = [r[0] for r in _rows(en[0], "SELECT text FROM events WHERE type='feedback'")]
    assert sum(cjk(t) for t in zh_texts) > 0.95 * len(zh_texts)
    assert sum(cjk(t) for t in en_texts) < 0.05 * len(en_texts)
    assert {r[0] for r in _rows(zh[0], "SELECT language FROM users")} == {"zh"}
    assert {r[0] for r in _rows(en[0], "SELECT language FROM users")} == {"en"}


def test_contacts_are_valid_and_time_zones_real(
    zh: tuple[Engine, SeedResult], en: tuple[Engine, SeedResult]
) -> None:
    zones = available_timezones()
    for engine in (zh[0], en[0]):
        for phone, email, tz in _rows(engine, "SELECT phone, email, timezone FROM users"):
            assert tz in zones
            if phone is not None:
                assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
                assert validate.phone(phone) == phone
            if email is not None:
                assert validate.email(email) == email
    tzs = Counter(r[0] for r in _rows(zh[0], "SELECT timezone FROM users"))
    assert tzs.most_common(1)[0][0] == "Asia/Shanghai" and len(tzs) >= 4
    assert len({r[0] for r in _rows(en[0], "SELECT DISTINCT timezone FROM users")}) >= 5


def test_second_records_share_an_identifier_with_the_primary(
    zh: tuple[Engine, SeedResult],
) -> None:
    engine, result = zh
    ids = defaultdict(set)
    for ext, kind, value in _rows(
        engine,
        "SELECT u.external_id, i.kind, i.value FROM identities i JOIN users u ON u.id = i.user_id",
    ):
        ids[ext].add((kind, value))
    seconds = [e for e in ids if e.endswith("-2")]
    assert 0.08 * result.users < len(seconds) < 0.16 * result.users
    for ext in seconds:
        primary = next(p for p in ids if p[1:] == ext[1:-2])
        assert ids[ext] & ids[primary], ext
    owners = Counter(v for e, vals in ids.items() for v in vals if not e.endswith("-2"))
    assert max(owners.values()) == 1  # no identifier is shared between two persons
    assert result.merges is None or result.merges == len(seconds)


def test_consents_have_realistic_gaps(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    (phones,) = _rows(engine, "SELECT count(*) FROM users WHERE phone IS NOT NULL")[0]
    status = dict(
        _rows(engine, "SELECT status, count(*) FROM consents WHERE channel='sms' GROUP BY status")
    )
    assert 0.4 * phones < status["granted"] < 0.85 * phones
    assert status["withdrawn"] > 0
    (dnc, total) = _rows(engine, "SELECT sum(do_not_contact), count(*) FROM users")[0]
    assert 0.005 * total < dnc < 0.05 * total
    channels = {r[0] for r in _rows(engine, "SELECT DISTINCT channel FROM consents")}
    assert channels <= set(CHANNELS) and len(channels) >= 6


def test_hidden_propensities_personalize(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    gaps = []
    for (raw,) in _rows(engine, "SELECT attributes FROM users"):
        attrs = json.loads(raw)
        persona = attrs["persona"]
        content = attrs["propensity"]["content"]
        assert set(content) == {c.value for c in ContentType}
        assert set(attrs["propensity"]["channel"]) == set(CHANNELS)
        assert 0 < attrs["base_conversion"] < 1
        others = [p for k, p in content.items() if k != persona]
        gaps.append(content[persona] - sum(others) / len(others))
    assert sum(gaps) / len(gaps) > 0.15


def test_behaviour_follows_the_persona(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    rows = _rows(
        engine,
        "SELECT json_extract(u.attributes, '$.persona'), "
        "json_extract(e.properties, '$.content_type') FROM events e JOIN users u "
        "ON u.id = e.user_id WHERE e.type = 'page_view'",
    )
    share: dict[str, Counter[str]] = defaultdict(Counter)
    for persona, ct in rows:
        share[persona][ct] += 1
    for persona, counts in share.items():
        total = sum(counts.values())
        assert counts[persona] / total > 0.45, persona
        assert counts.most_common(1)[0][0] == persona


def test_injection_attempts_are_stored_as_plain_text(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    texts = [r[0] for r in _rows(engine, "SELECT text FROM events WHERE text IS NOT NULL")]
    hits = [t for t in texts if any(i in t for i in INJECTION_TEXTS)]
    assert 0 < len(hits) < 0.03 * len(texts)
    for (raw,) in _rows(
        engine, "SELECT properties FROM events WHERE type IN ('feedback','survey','ticket')"
    ):
        props = json.loads(raw)
        assert 1 <= props["rating"] <= 5
        assert props["topic"] in {"delivery", "price", "usability", "praise", "other"}


def test_history_stays_inside_the_window_and_orders_add_up(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    (bad,) = _rows(
        engine,
        f"SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id "
        f"WHERE e.ts < u.created_ts OR e.ts >= {AS_OF_TS}",
    )[0]
    assert bad == 0
    for amount, qty, raw in _rows(
        engine, "SELECT amount, quantity, properties FROM events WHERE type='order' LIMIT 2000"
    ):
        props = json.loads(raw)
        gross = sum(i["price"] * i["qty"] for i in props["items"])
        assert amount == pytest.approx(gross * (1 - props["discount"]), abs=0.011)
        assert qty == sum(i["qty"] for i in props["items"])
        assert props["source"] in {"app", "web", "miniprogram", "store", "ecommerce"}


def test_orders_peak_on_double_eleven(zh: tuple[Engine, SeedResult]) -> None:
    engine, _ = zh
    days = Counter(
        datetime.fromtimestamp(ts + 8 * 3600, UTC).strftime("%Y-%m-%d")
        for (ts,) in _rows(engine, "SELECT ts FROM events WHERE type='order'")
    )
    september = [days[f"2025-09-{d:02d}"] for d in range(1, 31)]
    assert days["2025-11-11"] > 3 * sum(september) / len(september)


def test_refuses_a_non_empty_store_unless_replacing(sqlite_engine: Engine) -> None:
    seed_population(sqlite_engine, users=200, seed=1, language="en")
    with pytest.raises(Conflict):
        seed_population(sqlite_engine, users=100, seed=2, language="en")
    result = seed_population(sqlite_engine, users=100, seed=2, language="en", replace=True)
    (count,) = _rows(sqlite_engine, "SELECT count(*) FROM users")[0]
    assert count == result.records


def test_a_failure_midway_leaves_the_store_as_it_was(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import userops.cdp.sample.chunk as seed_chunk

    def boom(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed_chunk, "SMALL_LOAD", 0)  # take the drop-and-rebuild path
    monkeypatch.setattr(seed_chunk, "identity_inserts", boom)
    with pytest.raises(RuntimeError):
        seed_population(sqlite_engine, users=200, seed=1, language="zh")
    assert _rows(sqlite_engine, "SELECT count(*) FROM users")[0][0] == 0
    assert _rows(sqlite_engine, "SELECT count(*) FROM events")[0][0] == 0
    names = {
        r[0] for r in _rows(sqlite_engine, "SELECT name FROM sqlite_master WHERE type='index'")
    }
    assert {"ix_events_user_ts", "ix_events_type_ts", "ix_identities_user_id"} <= names


def test_bad_arguments_write_nothing(sqlite_engine: Engine) -> None:
    for kwargs in (
        {"users": 0, "seed": 1, "language": "zh"},
        {"users": 10, "seed": -1, "language": "zh"},
        {"users": 10, "seed": 1, "language": "fr"},
        {"users": 10, "seed": 1, "language": "zh", "as_of": datetime(2026, 1, 1)},
    ):
        with pytest.raises(BadInput):
            seed_population(sqlite_engine, **kwargs)  # type: ignore[arg-type]
    assert _rows(sqlite_engine, "SELECT count(*) FROM users")[0][0] == 0


@pytest.mark.pg
def test_postgres_gets_the_same_population(pg_engine: Engine, sqlite_engine: Engine) -> None:
    pg = seed_population(pg_engine, users=300, seed=9, language="zh")
    lite = seed_population(sqlite_engine, users=300, seed=9, language="zh")
    assert pg.as_dict() | {"load_s": 0, "resolve_s": 0, "elapsed_s": 0} == lite.as_dict() | {
        "load_s": 0, "resolve_s": 0, "elapsed_s": 0,
    }  # fmt: skip
    sql = "SELECT external_id, phone, created_ts FROM users ORDER BY id"
    assert _rows(pg_engine, sql) == _rows(sqlite_engine, sql)
    sql = "SELECT user_id, type, ts, amount FROM events ORDER BY id"
    assert _rows(pg_engine, sql) == _rows(sqlite_engine, sql)
    attrs = _rows(pg_engine, "SELECT attributes FROM users LIMIT 1")[0][0]
    assert attrs["persona"] in {c.value for c in ContentType}
    with pg_engine.begin() as conn:  # the id sequence continues after the explicit ids
        new_id = conn.execute(
            text("INSERT INTO users (external_id, timezone, language, created_ts, "
                 "do_not_contact) VALUES ('extra', 'UTC', 'zh', 0, false) RETURNING id")
        ).scalar_one()  # fmt: skip
    assert new_id == pg.records + 1
