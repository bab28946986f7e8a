"""A real ``userops serve`` in a child process, for benches, scripts and tests.

:func:`serve` starts it on a free loopback port in its own session (process group), so
:func:`stop` and :func:`kill` reach its uvicorn workers too. :func:`free_port` is shared
with the chaos harness (:mod:`scripts.chaos_procs`).
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def basic(key: str) -> str:
    """The ``Authorization`` header value of write key ``key``."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def serve(
    home: Path, *, workers: int = 1, url: str | None = None, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``userops serve --no-access-log`` on a free port; return it and its base URL.

    The server's stderr goes to ``log`` (discarded when None).
    """
    port = free_port()
    env = {**os.environ, "USEROPS_HOME": str(home), "USEROPS_EMBEDDING": "hashing"}
    env.pop("USEROPS_DATABASE_URL", None)
    if url is not None:
        env["USEROPS_DATABASE_URL"] = url
    cmd = [sys.executable, "-m", "userops.cli.main", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    err = subprocess.DEVNULL if log is None else log.open("ab")
    proc = subprocess.Popen(cmd, env=env, stderr=err, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            break
    kill(proc)
    raise RuntimeError("userops serve did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`serve` and its worker processes."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except subprocess.TimeoutExpired:
        kill(proc)
    except ProcessLookupError:
        proc.wait(10)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a server started by :func:`serve` with all its worker processes."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)
