"""Deterministic omni-channel sample population: ``seed_population``.

The same ``(users, seed, language, as_of)`` always produces identical rows: every chunk of
``CHUNK`` persons draws from its own ``numpy`` generator seeded with ``(seed, chunk,
language)``, and ``as_of`` defaults to the fixed ``DEFAULT_AS_OF`` (2026-11-01T00:00Z), so
nothing depends on the clock. History covers the two years before ``as_of``.

What is generated (see the ``seed_*`` modules): persons with one or two user records from
app, web, mini-program, WeChat and stores sharing identifiers; consents with gaps and
withdrawals; orders (BG/NBD with Gamma-Gamma spend, seasonality, replenishment cycles);
browsing sessions; the response history of 60 past campaigns; feedback, surveys and
tickets (some carrying prompt-injection attempts, ``seed_corpus.INJECTION_TEXTS``); and the
hidden sandbox propensities in ``users.attributes``.

A store that already holds users is refused unless ``replace=True``, which deletes the
population (traits, events, consents, identity merges, identities, users) in the same
transaction as the new load; it is refused too once campaigns have members or messages.
The store is then marked simulated (:mod:`userops.store.meta`): the sandbox may simulate
responses and move its clock on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from userops.cdp.identity.resolve import resolve_identities
from userops.errors import BadInput, Conflict
from userops.store.meta import mark_simulated
from userops.store.models import CampaignMember, Outbox, User

DEFAULT_AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
"""Default end of the generated history (fixed, so output never depends on the clock)."""
CHUNK = 100_000
"""Persons generated and written per step (part of the determinism contract)."""
MAX_USERS = 10_000_000
POPULATION_TABLES = ("traits", "events", "consents", "identity_merges", "identities", "users")
"""Tables ``replace=True`` empties, in this order."""

SeedProgress = Callable[[str, int, int], None]
"""Called with (stage, done, total): ``generate`` counts persons; ``index`` and ``resolve``
report 0 then 1."""


@dataclass
class SeedResult:
    """What a seed run wrote."""

    users: int
    """Persons generated."""
    records: int
    """User records written (a person has one or two)."""
    identities: int
    """Identifier rows written."""
    consents: int
    """Consent rows written."""
    events: int
    """Events written."""
    events_by_type: dict[str, int] = field(default_factory=dict)
    """Events written per type."""
    merges: int = 0
    """Identity merges made by resolution."""
    seed: int = 0
    """Seed used."""
    language: str = "zh"
    """Language of the population."""
    as_of: str = ""
    """End of the history (ISO 8601, UTC)."""
    load_s: float = 0.0
    """Seconds spent generating and writing."""
    resolve_s: float = 0.0
    """Seconds spent in identity resolution."""
    elapsed_s: float = 0.0
    """Total seconds."""

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return asdict(self)


def _check_args(users: int, seed: int, language: str, as_of: datetime | None) -> None:
    if not 1 <= users <= MAX_USERS:
        raise BadInput.one(f"must be between 1 and {MAX_USERS}", field="users", value=users)
    if seed < 0:
        raise BadInput.one("must be >= 0", field="seed", value=seed)
    if language not in ("zh", "en"):
        raise BadInput.one("must be zh or en", field="language", value=language)
    if as_of is not None and as_of.tzinfo is None:
        raise BadInput.one("must be timezone-aware (UTC)", field="as_of", value=str(as_of))


def has_users(engine: Engine) -> bool:
    """Whether the store holds any user record."""
    with engine.connect() as conn:
        return conn.execute(select(User.id).limit(1)).first() is not None


def _check_store(engine: Engine, replace: bool) -> None:
    with engine.connect() as conn:
        has_users = conn.execute(select(User.id).limit(1)).first() is not None
        busy = any(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (CampaignMember.__table__, Outbox.__table__)
        )
    if has_users and not replace:
        raise Conflict(
            "the store already holds users; seed an empty store, or pass replace=True "
            "(--replace) to delete the existing population first"
        )
    if replace and busy:
        raise Conflict("the store has campaign members or messages; seed a fresh store instead")


def seed_population(
    engine: Engine,
    *,
    users: int,
    seed: int,
    language: str,
    as_of: datetime | None = None,
    progress: SeedProgress | None = None,
    replace: bool = False,
) -> SeedResult:
    """Generate and write a population of ``users`` persons, then resolve identities.

    Raises:
        BadInput: an argument is out of range (nothing is written).
        Conflict: the store already holds users and ``replace`` is False.
    """
    _check_args(users, seed, language, as_of)
    _check_store(engine, replace)
    from userops.cdp.sample.chunk import write_population

    started = time.perf_counter()
    when = as_of or DEFAULT_AS_OF
    result = SeedResult(0, 0, 0, 0, 0, seed=seed, language=language, as_of=when.isoformat())
    write_population(engine, result, users, int(when.timestamp()), replace, progress)
    mark_simulated(engine, "seed")  # a generated population: simulation may run on it
    result.load_s = round(time.perf_counter() - started, 2)
    t0 = time.perf_counter()
    result.merges = _resolve(engine, progress)
    result.resolve_s = round(time.perf_counter() - t0, 2)
    result.elapsed_s = round(time.perf_counter() - started, 2)
    return result


def _resolve(engine: Engine, progress: SeedProgress | None) -> int:
    if progress is not None:
        progress("resolve", 0, 1)
    merges = int(resolve_identities(engine))
    if progress is not None:
        progress("resolve", 1, 1)
    return merges
