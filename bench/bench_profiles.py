"""Benchmark ``build_profiles`` on synthetic SQLite stores (100k and 1M users, ~10 events each).

The store is generated here with raw ``sqlite3`` executemany (fast, deterministic, seeded) and
kept under ``workdir`` between runs. ``BENCH_PROFILES_SIZES=100000,1000000`` picks the sizes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the fit's small vectors: no BLAS threads

import json  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

AS_OF = date(2025, 6, 30)
AS_OF_TS = (AS_OF - date(1970, 1, 1)).days * 86400
DAY = 86400
CHUNK = 50_000
TYPES = np.array(
    "order page_view app_open message_delivered message_opened message_clicked "
    "message_converted feedback miniprogram_open".split()
)
TYPE_P = np.array([0.0, 0.375, 0.19, 0.225, 0.11, 0.04, 0.01, 0.025, 0.025])
ORDERS_PER_USER = 2.0  # about; the rest of ``per_user`` are other events
CHANNELS = np.array(["sms", "app_push", "email", "wechat_template", "miniprogram"])
CONTENT = np.array(["tutorial", "offer", "social", "service"])
CATEGORIES = np.array("coffee tea skincare snacks books toys wine baby sports pets".split())
SOURCES = np.array(["app", "web", "miniprogram", "store", "ecommerce"])
USER_SQL = (
    "INSERT INTO users (id, external_id, phone, email, device_id, wechat_openid, timezone,"
    " language, source, created_ts, do_not_contact, merged_into)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
EVENT_SQL = (
    "INSERT INTO events (user_id, type, ts, channel, amount, quantity, properties)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _users(rng: np.random.Generator, lo: int, hi: int) -> tuple[list[tuple[Any, ...]], Any]:
    n = hi - lo
    ids = np.arange(lo, hi)
    created = AS_OF_TS - rng.integers(0, 730 * DAY, n)
    merged = np.where(ids % 20 == 19, ids - 1, -1)  # 5% of records merged into a neighbour
    has = rng.random((4, n)) < np.array([[0.6], [0.3], [0.4], [0.3]])
    rows = [
        (
            int(i),
            f"bench:{i}",
            f"+86138{i:08d}" if has[0, k] else None,
            f"u{i}@example.com" if has[1, k] else None,
            f"dev{i}" if has[2, k] else None,
            f"oid{i}" if has[3, k] else None,
            "Asia/Shanghai",
            "zh",
            str(SOURCES[i % 5]),
            int(created[k]),
            bool(k % 50 == 0),
            int(merged[k]) if merged[k] >= 0 else None,
        )
        for k, i in enumerate(ids.tolist())
    ]
    return rows, created


def _props(kind: str, rng: np.random.Generator) -> str | None:
    if kind == "order":
        cat = CATEGORIES[rng.integers(0, len(CATEGORIES))]
        disc = round(float(rng.choice([0.0, 0.0, 0.1, 0.2])), 2)
        item = {"sku": f"s-{cat}", "name": cat, "category": cat, "price": 50.0, "qty": 1}
        return json.dumps({"items": [item], "discount": disc, "source": "app"})
    if kind in ("page_view", "message_clicked", "message_converted"):
        c = CONTENT[rng.integers(0, 4)]
        return json.dumps({"content_type": c, "category": CATEGORIES[rng.integers(0, 10)]})
    if kind == "feedback":
        return json.dumps({"rating": int(rng.integers(1, 6)), "topic": "other"})
    return None


def _orders(rng: np.random.Generator, lo: int, created: Any) -> list[tuple[Any, ...]]:
    """Simulate BG/NBD buyers: gamma purchase rates, beta dropout, Gamma-Gamma spend."""
    n = len(created)
    lam = rng.gamma(0.8, 1.0 / 30.0, n) / DAY
    drop = rng.beta(1.0, 3.0, n)
    nu = rng.gamma(4.0, 1.0 / 100.0, n)
    alive = rng.random(n) < 0.7  # 30% never order
    cur = created.astype(np.float64)
    uids, times, idx = [], [], []
    for _ in range(80):
        active = alive & (cur < AS_OF_TS)
        if not active.any():
            break
        pos = np.nonzero(active)[0]
        uids.append(pos + lo)
        times.append(cur[pos].astype(np.int64))
        idx.append(pos)
        alive = active & (rng.random(n) >= drop)
        cur = cur + rng.exponential(1.0 / np.maximum(lam, 1e-12))
    who = np.concatenate(idx)
    amounts = np.round(rng.gamma(6.0, 1.0 / nu[who]), 2)
    props = [_props("order", rng) for _ in range(50)]
    pick = rng.integers(0, 50, len(who))
    return [
        (u, "order", t, None, a, 1, props[k])
        for u, t, a, k in zip(
            np.concatenate(uids).tolist(),
            np.concatenate(times).tolist(),
            amounts.tolist(),
            pick.tolist(),
            strict=True,
        )
    ]


def _events(rng: np.random.Generator, lo: int, created: Any, per_user: float) -> list[Any]:
    counts = rng.poisson(per_user - ORDERS_PER_USER, len(created))
    uids = np.repeat(np.arange(lo, lo + len(created)), counts)
    start = np.repeat(created, counts)
    ts = start + (rng.random(len(uids)) * (AS_OF_TS - start)).astype(np.int64)
    kinds = rng.choice(TYPES, len(uids), p=TYPE_P)
    chans = CHANNELS[rng.integers(0, len(CHANNELS), len(uids))]
    prop_cache = [_props(k, rng) for k in TYPES.tolist() for _ in range(20)]
    pick = rng.integers(0, 20, len(uids))
    type_index = {k: i for i, k in enumerate(TYPES.tolist())}
    rows = [
        (
            u,
            k,
            t,
            c if k.startswith("message_") else None,
            None,
            None,
            prop_cache[type_index[k] * 20 + p],
        )
        for u, t, k, c, p in zip(
            uids.tolist(), ts.tolist(), kinds.tolist(), chans.tolist(), pick.tolist(), strict=True
        )
    ]
    rows.extend(_orders(rng, lo, created))
    rows.sort(key=lambda r: r[0])  # store events grouped by user, as an import would
    return rows


def generate(path: Path, users: int, per_user: float = 10.0, seed: int = 1) -> int:
    """Write a migrated SQLite store with ``users`` users and ~``per_user`` events each."""
    from userops.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    n_events = 0
    for lo in range(1, users + 1, CHUNK):
        hi = min(lo + CHUNK, users + 1)
        rows, created = _users(rng, lo, hi)
        con.executemany(USER_SQL, rows)
        consents = [
            (r[0], ch, "granted" if rng.random() < 0.8 else "withdrawn", "bench", AS_OF_TS)
            for r in rows
            for ch in ("sms", "app_push", "email")
            if (r[0] + len(ch)) % 3
        ]
        con.executemany(
            "INSERT INTO consents (user_id, channel, status, source, ts) VALUES (?,?,?,?,?)",
            consents,
        )
        events = _events(rng, lo, created, per_user)
        con.executemany(EVENT_SQL, events)
        n_events += len(events)
        con.commit()
    con.close()
    return n_events


def _measure(workdir: Path, users: int) -> dict[str, Any]:
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import make_engine

    path = workdir / f"store_{users}.db"
    out: dict[str, Any] = {}
    if not path.exists():
        t0 = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        out["events"] = generate(tmp, users)
        tmp.rename(path)
        out["generate_s"] = round(time.perf_counter() - t0, 1)
    engine = make_engine(f"sqlite:///{path}")
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str) -> None:
        stages[name] = time.perf_counter()

    cpu0 = time.process_time()
    result = build_profiles(engine, as_of=AS_OF, progress=stage)
    out["build_cpu_s"] = round(time.process_time() - cpu0, 2)
    names = list(stages)
    for name, nxt in zip(names, [*names[1:], None], strict=True):
        end = stages[nxt] if nxt else time.perf_counter()
        out[f"stage_{name.split(',')[0]}_s"] = round(end - stages[name], 2)
    out["build_s"] = round(time.perf_counter() - t0, 2)
    out["users"] = result.users
    out["bgnbd_r"] = round(result.params["bgnbd"]["r"], 4) if result.params["bgnbd"] else None
    engine.dispose()
    return out


def run(workdir: Path) -> dict[str, Any]:
    """Generate (once) and time ``build_profiles`` for each size."""
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in os.environ.get("BENCH_PROFILES_SIZES", "100000,1000000").split(",")]
    metrics: dict[str, Any] = {}
    for users in sizes:
        for key, value in _measure(workdir, users).items():
            metrics[f"{key}_{users // 1000}k"] = value
    return metrics
