"""Chaos harness, part 2: the processes and the approvers' HTTP clients.

The processes are ``userops serve --workers N`` and ``userops worker run``; see
:mod:`scripts.chaos`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from scripts.serve_procs import free_port

USEROPS = str(Path(sys.executable).with_name("userops"))


class Cluster:
    """The API server (a uvicorn supervisor and its workers) and the dispatch workers."""

    def __init__(self, env: dict[str, str], logs: Path, policy: Path, api_workers: int) -> None:
        self.env = env
        self.logs = logs
        self.policy = policy
        self.api_workers = api_workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.kills: Counter[str] = Counter()
        self.spawned = 0
        for old in logs.glob("*.log"):  # one run's logs only
            old.unlink()

    def _popen(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        out = (self.logs / log).open("ab")
        self.spawned += 1
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )

    def start_api(self, wait_s: float = 180) -> None:
        """Start ``userops serve --workers N``; return once every worker answers."""
        self.api = self._popen(
            [USEROPS, "serve", "--port", str(self.port), "--workers", str(self.api_workers)],
            "api.log",
        )
        self.wait_api(wait_s)

    def api_children(self) -> list[psutil.Process]:
        """The uvicorn worker processes (not the resource tracker)."""
        assert self.api is not None
        try:
            kids = psutil.Process(self.api.pid).children()
        except psutil.NoSuchProcess:
            return []
        out = []
        for k in kids:
            try:
                if "resource_tracker" not in " ".join(k.cmdline()):
                    out.append(k)
            except psutil.Error:
                continue
        return out

    def wait_api(self, wait_s: float) -> None:
        """Wait until the supervisor has all its workers and /health answers."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            assert self.api is not None
            if self.api.poll() is not None:
                raise RuntimeError(f"userops serve exited with {self.api.returncode}; see api.log")
            if len(self.api_children()) >= self.api_workers:
                try:
                    if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"API not ready after {wait_s} s; see {self.logs / 'api.log'}")

    def start_worker(self, i: int) -> None:
        """Start (or restart) dispatch worker ``i``: ``userops worker run``."""
        proc = self._popen(
            [USEROPS, "worker", "run", "--policy", str(self.policy), "--json"], f"worker{i}.log"
        )
        if i < len(self.workers):
            self.workers[i] = proc
        else:
            self.workers.append(proc)

    def kill_one(self, kind: str, index: int) -> int | None:
        """SIGKILL one API worker or dispatch worker (restarting a dispatch worker)."""
        if kind == "api":
            kids = self.api_children()
            if not kids:
                return None
            pid = kids[index % len(kids)].pid
            os.kill(pid, signal.SIGKILL)  # the uvicorn supervisor starts a new one
        else:
            i = index % len(self.workers)
            pid = self.workers[i].pid
            os.kill(pid, signal.SIGKILL)
            self.workers[i].wait()
            self.start_worker(i)
        self.kills[kind] += 1
        return pid

    def stop(self) -> None:
        """Stop every process this cluster started (SIGINT, then SIGKILL after a grace)."""
        procs = [p for p in [*self.workers, self.api] if p is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


class Decisions:
    """Approvers posting decisions over HTTP, retrying a dropped request with the same id."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url = url
        self.tokens = tokens
        self.results: dict[str, dict[str, tuple[int, bool]]] = {}
        self.retries = 0
        self.unexpected: list[str] = []
        self._lock = threading.Lock()

    def post(self, approval_id: str, approver: str, kind: str) -> None:
        """Post one decision until an answer arrives (200 or 409 expected)."""
        body: dict[str, Any] = {"decision": kind, "client_decision_id": f"{approval_id}:{approver}"}
        if kind == "reject":
            body["comment"] = "chaos: not now"
        headers = {"Authorization": f"Bearer {self.tokens[approver]}"}
        for attempt in range(60):
            try:
                r = httpx.post(
                    f"{self.url}/v1/approvals/{approval_id}/decision",
                    json=body,
                    headers=headers,
                    timeout=60,
                )
            except httpx.TransportError:
                with self._lock:
                    self.retries += 1
                time.sleep(0.2 + 0.05 * attempt)
                continue
            replayed = bool(r.json().get("replayed")) if r.status_code == 200 else False
            with self._lock:
                if r.status_code not in (200, 409):
                    self.unexpected.append(
                        f"{approval_id} {approver}: {r.status_code} {r.text[:200]}"
                    )
                self.results.setdefault(approval_id, {})[approver] = (r.status_code, replayed)
            return
        with self._lock:
            self.unexpected.append(f"{approval_id} {approver}: no answer after 60 tries")

    def contest(self, approval_id: str, approvers: list[str], kinds: list[str]) -> None:
        """All ``approvers`` decide ``approval_id`` at once (one thread each)."""
        start = threading.Barrier(len(approvers))

        def one(name: str, kind: str) -> None:
            start.wait()
            self.post(approval_id, name, kind)

        threads = [
            threading.Thread(target=one, args=(a, k)) for a, k in zip(approvers, kinds, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def summary(self) -> dict[str, Any]:
        """Per approval: how many clients won (must be 1); totals of 200/409/replays."""
        winners = {a: sum(1 for s, _ in r.values() if s == 200) for a, r in self.results.items()}
        codes = Counter(s for r in self.results.values() for s, _ in r.values())
        return {
            "approvals_contested": len(self.results),
            "posts": sum(len(r) for r in self.results.values()),
            "won_200": codes[200],
            "conflict_409": codes[409],
            "replayed_after_dropped_request": sum(
                1 for r in self.results.values() for s, rep in r.values() if s == 200 and rep
            ),
            "requests_dropped_by_kills_and_retried": self.retries,
            "winners_per_approval": winners,
            "unexpected": self.unexpected,
        }
