"""Fake webhook receiver: checks the HMAC signature, records deliveries by Idempotency-Key."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.server import FakeServer
from userops.dispatch.adapters.webhook import verify


class FakeWebhook(FakeServer):
    """A receiver at ``POST /hook``."""

    def __init__(self, secret: str = "whsec") -> None:
        self.secret = secret
        super().__init__()

    def routes(self) -> None:
        """The hook route."""

        @self.app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            raw = await request.body()
            key = request.headers.get("idempotency-key", "")
            ts = request.headers.get("x-userops-timestamp", "")
            sig = request.headers.get("x-userops-signature", "")
            self.log(key=key, raw=raw, ts=ts, sig=sig)
            if not verify(self.secret, ts, raw, sig):
                return JSONResponse({"error": "bad signature"}, 401)
            mode = self.mode(key)
            if mode == "5xx":
                return JSONResponse({"error": "down"}, 500)
            if mode == "slow":
                await self.stall()
                return JSONResponse({"error": "gateway timeout"}, 504)
            if mode == "429":
                return JSONResponse({"error": "slow down"}, 429, headers={"Retry-After": "2"})
            if mode == "permanent":
                return JSONResponse({"error": "unknown campaign"}, 422)
            self.deliver(key)
            return JSONResponse({"ok": True}, 202, headers={"X-Request-Id": uuid.uuid4().hex})
