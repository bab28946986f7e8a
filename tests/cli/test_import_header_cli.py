"""A column named twice (as written, or once --map renamed one) is refused, not one dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.support import count_rows
from userops.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "content", "flags", "line"),
    [
        ("users.csv", "user_id,name,name\nu1,Li,Wang\n", [], "users.csv:1 name='name, name'"),
        (
            "users.csv",
            "user_id,mobile,phone\nu1,13800000001,13800000002\n",
            ["--map", "mobile=phone"],
            "users.csv:1 phone='mobile, phone'",
        ),
        (
            "users.jsonl",
            '{"user_id": "u1", "mobile": "13800000001", "phone": "13800000002"}\n',
            ["--map", "mobile=phone"],
            "users.jsonl:1 phone='mobile, phone'",
        ),
    ],
)
def test_a_column_named_twice_is_located_and_nothing_written(
    home: Path, tmp_path: Path, name: str, content: str, flags: list[str], line: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    res = runner.invoke(app, ["import", "users", str(path), *flags])
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith(f"{tmp_path}/{line}: column named twice"), res.stderr
    assert count_rows("users") == 0


def test_two_unknown_columns_of_one_name_are_ignored_as_before(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("user_id,name,,\nu1,Li,,\n")  # a spreadsheet's empty trailing columns
    res = runner.invoke(app, ["import", "users", str(path)])
    assert res.exit_code == 0, res.output
    assert count_rows("users") == 1
