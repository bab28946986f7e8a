"""The transactional store: SQLAlchemy models, engine factory and migrations."""

from userops.store.engine import make_engine, session_factory, upgrade
from userops.store.models import Base

__all__ = ["Base", "make_engine", "session_factory", "upgrade"]
