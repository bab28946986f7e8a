"""Byte-level checks of an import file: UTF-8, and no NUL byte (no store keeps one).

Every import (users, events, consents; CSV and JSONL; the CLI and the upload route) refuses
such a file with ``FILE:LINE`` instead of failing in the parser or the database.
"""

from __future__ import annotations

from pathlib import Path

from userops.errors import Problem

NUL_TEXT = "holds a NUL character, which no store can keep"
SHOWN_NUL = 50
"""NUL bytes listed at most (each with its line)."""
BLOCK = 1 << 20


def utf8_problem(path: Path, source: str) -> Problem:
    """Where ``path`` stops being UTF-8 (read once a parser met a byte it could not decode)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return Problem(reason, source=source, line=line)
    return Problem("not valid UTF-8; save the file as UTF-8", source=source)


def nul_problems(path: Path, source: str) -> list[Problem]:
    """The lines of ``path`` holding a NUL byte (none in a text file; no store keeps them).

    One pass of ``bytes.find`` over the file (milliseconds for 30 MB); lines are counted only
    when a NUL is there.
    """
    with path.open("rb") as fh:
        if not any(b"\x00" in block for block in iter(lambda: fh.read(BLOCK), b"")):
            return []
        fh.seek(0)
        problems: list[Problem] = []
        line = 1
        for block in iter(lambda: fh.read(BLOCK), b""):
            at = block.find(b"\x00")
            while at >= 0 and len(problems) < SHOWN_NUL:
                problems.append(
                    Problem(NUL_TEXT, source=source, line=line + block.count(b"\n", 0, at))
                )
                at = block.find(b"\x00", at + 1)
            line += block.count(b"\n")
    return problems
