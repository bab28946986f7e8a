"""The deterministic sample population for ``seed``, ``demo`` and ``eval`` only."""

from userops.cdp.sample.batches import batch_body
from userops.cdp.sample.chunk import Plan, chunk_source
from userops.cdp.sample.corpus import INJECTION_TEXTS
from userops.cdp.sample.files import generate_consents, generate_events, generate_users
from userops.cdp.sample.population import DEFAULT_AS_OF, SeedResult, has_users, seed_population
from userops.cdp.sample.text import EN_ZONES, ZH_ZONES

__all__ = [
    "DEFAULT_AS_OF",
    "EN_ZONES",
    "INJECTION_TEXTS",
    "Plan",
    "SeedResult",
    "ZH_ZONES",
    "batch_body",
    "chunk_source",
    "generate_consents",
    "generate_events",
    "generate_users",
    "has_users",
    "seed_population",
]
