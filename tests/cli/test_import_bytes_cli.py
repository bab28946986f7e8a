"""Bytes no text import can take (not UTF-8, NUL) are ``FILE:LINE`` lines, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from userops.cli.main import app

runner = CliRunner()
ROWS = {
    "users": [{"user_id": "u1", "name": "Li"}, {"user_id": "u2", "name": "Wang"}],
    "events": [{"user_id": "u1", "type": "order", "ts": 1_700_000_000}] * 2,
    "consents": [{"user_id": "u1", "channel": "sms", "status": "granted", "ts": 1_700_000_000}] * 2,
}
TEXT = {"users": "name", "events": "user_id", "consents": "user_id"}


def _file(tmp_path: Path, kind: str, fmt: str, bad: bytes) -> Path:
    """Two rows of ``kind``; the text field of the second ends in ``bad`` (on line 3)."""
    rows = [dict(r) for r in ROWS[kind]]
    rows[1][TEXT[kind]] = f"{rows[1][TEXT[kind]]}MARK"
    if fmt == "csv":
        head = ",".join(rows[0])
        body = "\n".join([head, *(",".join(str(v) for v in r.values()) for r in rows)])
    else:
        body = "\n\n".join(json.dumps(r) for r in rows)  # a blank line: the 2nd row on line 3
    path = tmp_path / f"{kind}.{fmt}"
    path.write_bytes(body.encode().replace(b"MARK", bad) + b"\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("kind", ["users", "events", "consents"])
def test_invalid_utf8_is_located(home: Path, tmp_path: Path, kind: str, fmt: str) -> None:
    path = _file(tmp_path, kind, fmt, b"\xff\xfe")
    res = runner.invoke(app, ["import", kind, str(path)])
    assert res.exit_code == 1, res.output
    assert f"{path}:3: not valid UTF-8 (byte 0xff)" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("fmt", "bad", "where", "reason"),
    [
        ("csv", b"\x00", "", "holds a NUL character"),
        ("jsonl", b"\\u0000", " name=", "must not contain a NUL character"),
        ("jsonl", b"\\ud800", " name=", "not valid Unicode (a lone surrogate)"),
    ],
    ids=["csv-nul", "jsonl-nul", "jsonl-surrogate"],
)
def test_unstorable_text_is_located(
    home: Path, tmp_path: Path, fmt: str, bad: bytes, where: str, reason: str
) -> None:
    path = _file(tmp_path, "users", fmt, bad)
    res = runner.invoke(app, ["import", "users", str(path)])
    assert res.exit_code == 1, res.output
    assert f"{path}:3{where}" in res.output and reason in res.output


def test_transactions_not_utf8(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_bytes(b"00001 19970101 1 9.99\n00002 1997\xff0102 1 5.00\n")
    res = runner.invoke(app, ["import", "transactions", str(path)])
    assert res.exit_code == 1, res.output
    assert f"{path}:2: not valid UTF-8 (byte 0xff)" in res.output
