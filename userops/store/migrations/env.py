"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from alembic import context

from userops.settings import get_settings
from userops.store.engine import make_engine
from userops.store.models import Base

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().resolved_database_url())

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
