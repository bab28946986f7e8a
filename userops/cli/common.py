"""Helpers shared by CLI commands: console, JSON output, error exits, the store."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from userops.errors import BadInput, Conflict, NotFound, PolicyRefused, UseropsError

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (UTF-8, no ASCII escaping).

    A non-finite float (a stored ``inf`` trait) is printed as ``null``: ``Infinity`` and
    ``NaN`` are not JSON, and strict readers (``jq``, browsers) refuse the whole output.
    """
    try:
        out = json.dumps(data, ensure_ascii=False, indent=2, default=str, allow_nan=False)
    except ValueError:  # out of range float values: the rare case, walked only then
        out = json.dumps(_finite(data), ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()


def _finite(data: Any) -> Any:
    """``data`` with every non-finite float replaced by None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn userops errors into a clean message and a non-zero exit (no traceback).

    So is a store failure mid-command (disk full, a damaged page read late, a read-only
    file): one line naming the store.
    """
    try:
        yield
    except BadInput as exc:
        fail(exc.render(), 1)
    except (Conflict, NotFound, PolicyRefused) as exc:
        fail(f"error: {exc}", 1)
    except UseropsError as exc:
        fail(f"error: {exc}", 1)
    except Exception as exc:
        from userops.store.check import is_store_error, store_error_line

        if not is_store_error(exc):
            raise
        where = f"store {_OPENED[0]}" if _OPENED else "the store"
        fail(f"error: {where} failed: {store_error_line(exc)}", 1)


_OPENED: list[str] = []
"""The store this command opened (named when it fails mid-command)."""


def store() -> Engine:
    """Open the configured store, migrated to head and checked.

    A store that cannot be read, is damaged or is read-only ends the command with one line
    naming it (no traceback), whatever the caller does with errors.
    """
    from userops.store.check import StoreUnavailable, describe
    from userops.store.engine import open_store

    try:
        engine = open_store()
    except StoreUnavailable as exc:
        fail(f"error: {exc}")
    _OPENED[:] = [describe(engine)]
    return engine
