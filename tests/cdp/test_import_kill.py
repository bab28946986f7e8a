"""`userops import users` killed with SIGKILL at moments from staging to commit: all or nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from userops.cdp.sample.files import generate_users
from userops.store.engine import make_engine, upgrade

N = 60_000
ROOT = Path(__file__).resolve().parents[2]


def _import(home: Path, path: Path) -> subprocess.Popen[bytes]:
    code = "from userops.cli.main import app; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "import", "users", str(path), "--json"],
        env={**os.environ, "PYTHONPATH": str(ROOT), "USEROPS_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _state(engine: Engine) -> tuple[int, int, str]:
    with engine.connect() as conn:
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        idents = conn.execute(text("SELECT count(*) FROM identities")).scalar_one()
        check = conn.execute(text("PRAGMA integrity_check")).scalar_one()
    return int(users), int(idents), str(check)


@pytest.mark.slow
def test_sigkill_during_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    upgrade(engine)
    path = tmp_path / "users.csv"
    generate_users(path, N)
    killed_alive = 0
    for delay in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0):
        proc = _import(home, path)
        deadline = time.monotonic() + 60
        while not list(home.glob(".userops-stage-*.db")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the import never started staging"
            time.sleep(0.005)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_alive += 1
        proc.wait(timeout=60)
        users, idents, check = _state(engine)
        assert check == "ok"
        assert (users, idents) in ((0, 0), (N, idents)) and (users == 0) == (idents == 0)
        if users:
            break  # it committed before the kill: nothing left to interrupt
    assert killed_alive >= 1
    done = _import(home, path)
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err.decode()
    users, idents, check = _state(engine)
    assert (users, check) == (N, "ok") and idents > N
    assert list(home.glob(".userops-stage-*")) == []  # the killed runs' files were swept
    engine.dispose()
