"""`userops serve` hands its options to uvicorn with the app factory."""

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from userops.cli.main import app

runner = CliRunner()


def test_serve_passes_options_to_uvicorn(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    target, kw = calls[0]
    assert target == "userops.api.app:create_app" and kw["factory"] is True
    assert (kw["host"], kw["port"], kw["workers"]) == ("0.0.0.0", 8123, 2)
    assert kw["access_log"] is True
    runner.invoke(app, ["serve", "--no-access-log"])
    assert calls[1][1]["access_log"] is False


def test_serve_refuses_a_bad_port(home: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code != 0 and "port" in result.output.lower()
