"""The CLI refuses over-long text with the API's limit, naming the option, writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from userops.cli.main import app
from userops.settings import get_settings

runner = CliRunner()
LONG = "x" * 4001


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["approvals", "reject", "a1", "--reason", LONG], "--reason="),
        (["approvals", "approve", "a1", "--comment", LONG], "--comment="),
        (["approvals", "comment", "a1", LONG], "TEXT="),
        (["demo", "--goal", LONG], "--goal="),
    ],
    ids=["reject", "approve", "comment", "demo"],
)
def test_long_text_is_refused_by_name(home: Path, args: list[str], where: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert where in res.output and "at most 4000 characters, got 4001" in res.output
    assert "Traceback" not in res.output and LONG not in res.output
    assert not (home / "userops.db").exists()  # refused before the store was opened


def test_chat_says_why_and_goes_on(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USEROPS_MAX_TEXT_CHARS", "50")
    get_settings.cache_clear()
    try:
        res = runner.invoke(app, ["chat"], input="y" * 51 + "\n/quit\n")
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 0
    assert "goal: at most 50 characters, got 51" in res.output


def test_argv_bytes_that_are_not_utf8_are_refused(home: Path) -> None:
    """Invalid UTF-8 in argv arrives as lone surrogates (surrogateescape): no store keeps them."""
    res = runner.invoke(app, ["approvals", "reject", "a1", "--reason", "no\udcff"])
    assert res.exit_code == 1
    assert "--reason=" in res.output and "not valid Unicode (a lone surrogate)" in res.output
