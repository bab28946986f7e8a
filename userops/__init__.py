"""userops: the platform under the agents (store, CDP, dispatch engine, API, CLI)."""

__version__ = "0.1.0"
