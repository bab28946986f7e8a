"""Seed each distinct scenario dataset once; scenarios get a copy of its SQLite file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from evals.schema import Dataset

if TYPE_CHECKING:
    from sqlalchemy import Engine

INJECT_EVERY = 7
"""Every n-th canonical user gets the dataset's extra feedback texts."""


def dataset_key(ds: Dataset, base: Path) -> str:
    """Stable name of a dataset (same parameters → same seeded store)."""
    raw = json.dumps(
        [
            ds.users,
            ds.seed,
            ds.language,
            str((base / ds.bundle).resolve()) if ds.bundle else None,
            ds.feedback,
        ],
        ensure_ascii=False,
    )
    return f"{ds.language}-{ds.users}-{ds.seed}-{hashlib.sha1(raw.encode()).hexdigest()[:8]}"


def build_dataset(ds: Dataset, scenario_dir: Path, target: Path) -> Path:
    """Seed ``ds`` into a fresh SQLite store at ``target`` and build profiles; return it."""
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import open_store
    from userops.store.meta import mark_simulated

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    engine = open_store(f"sqlite:///{target}")
    try:
        seed_population(engine, users=ds.users, seed=ds.seed, language=ds.language)
        if ds.bundle:
            _import_bundle(engine, scenario_dir / ds.bundle)
        if ds.feedback:
            _inject_feedback(engine, ds.feedback)
        build_profiles(engine)
        mark_simulated(engine, "eval")  # seeding marked it already; the eval's own word
    finally:
        engine.dispose()
    return target


def _import_bundle(engine: Engine, bundle: Path) -> None:
    """Import ``users``, ``consents`` then ``events`` files of a bundle directory."""
    from userops.cdp.identity.resolve import resolve_identities
    from userops.cdp.ingest.importer import import_file

    for kind in ("users", "consents", "events"):
        for f in sorted(bundle.glob(f"{kind}.*")):
            import_file(engine, kind, f)
    resolve_identities(engine)


def _inject_feedback(engine: Engine, texts: list[str]) -> None:
    """Add feedback events (untrusted text) to every n-th canonical user."""
    from sqlalchemy import text

    with engine.begin() as conn:
        ids = [
            int(r[0])
            for r in conn.execute(
                text("SELECT id FROM users WHERE merged_into IS NULL ORDER BY id")
            )
        ][::INJECT_EVERY]
        ts = int(conn.execute(text("SELECT max(ts) FROM events")).scalar_one() or 0)
        rows = [
            {"u": uid, "ts": ts - 3600 * (i % 48), "t": texts[i % len(texts)]}
            for i, uid in enumerate(ids)
        ]
        conn.execute(
            text(
                "INSERT INTO events (user_id, type, ts, properties, text)"
                ' VALUES (:u, \'feedback\', :ts, \'{"rating": 1, "topic": "other"}\', :t)'
            ),
            rows,
        )
