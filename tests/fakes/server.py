"""A local fake provider: a FastAPI app served by uvicorn on 127.0.0.1 in a thread.

Every fake records each request it receives and each message it *delivered* (keyed by the
id the provider sees: ``OutId``, ``client_msg_id``, a data field...). Nothing is deduplicated
here, so a test can count deliveries per key. Faults are switched per request:

* ``faults.next`` — modes for the next requests in arrival order;
* ``faults.by_key`` — modes for the requests carrying one key (consumed one per request);
* ``faults.always`` — a mode every request for that key gets;
* ``faults.down`` — a mode every request gets while it is set (a provider down for a while).

``stop()`` then ``start()`` serves again on the same port (connection refused in between).

Modes: ``ok``, ``5xx``, ``slow`` (sleeps past the client's timeout, then drops the request
without delivering, as a gateway that timed out upstream), ``429`` (rate limited, with
``Retry-After`` where the API has one), ``permanent`` (the API's "will never work" answer),
``token`` (access token expired, for the token-based APIs), ``accept_slow`` (the provider
accepts and delivers, then answers too late: the in-doubt timeout).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI


@dataclass
class Faults:
    """Which answer the next requests get."""

    next: deque[str] = field(default_factory=deque)
    by_key: dict[str, deque[str]] = field(default_factory=dict)
    always: dict[str, str] = field(default_factory=dict)
    down: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, *modes: str) -> None:
        """Queue ``modes`` for the requests carrying ``key``."""
        with self.lock:
            self.by_key.setdefault(key, deque()).extend(modes)

    def take(self, key: str | None = None) -> str:
        """The mode of one request (``ok`` when nothing is queued)."""
        with self.lock:
            if self.down is not None:
                return self.down
            if key is not None and key in self.always:
                return self.always[key]
            queued = self.by_key.get(key or "")
            if queued:
                return queued.popleft()
            return self.next.popleft() if self.next else "ok"


class FakeServer:
    """Base of the fakes: start/stop, request log, delivery log, fault switches."""

    slow_seconds = 1.0

    def __init__(self) -> None:
        self.app = FastAPI()
        self.faults = Faults()
        self.requests: list[dict[str, Any]] = []
        self.delivered: list[str] = []
        self.modes: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.routes()

    def routes(self) -> None:
        """Register the provider's routes on ``self.app``."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Base URL of the running fake."""
        return f"http://127.0.0.1:{self.port}"

    def log(self, **entry: Any) -> None:
        """Record one request."""
        with self._lock:
            self.requests.append(entry)

    def deliver(self, key: str) -> None:
        """Record one delivery of ``key``."""
        with self._lock:
            self.delivered.append(key)

    def mode(self, key: str | None) -> str:
        """Take the fault mode of the current request and count it."""
        m = self.faults.take(key)
        with self._lock:
            self.modes[m] += 1
        return m

    async def stall(self) -> None:
        """The ``slow`` fault: wait past any sane client timeout."""
        await asyncio.sleep(self.slow_seconds)

    def counts(self) -> Counter[str]:
        """Deliveries per key."""
        with self._lock:
            return Counter(self.delivered)

    def start(self) -> FakeServer:
        """Serve on a free loopback port; return once it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))  # 0 the first time, then the same port again
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for stalled requests
        if self._thread is not None:
            self._thread.join(timeout=5)
