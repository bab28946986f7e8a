"""Fake FCM HTTP v1: ``POST /v1/projects/{project}/messages:send``, bearer token checked."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.server import FakeServer


def _error(code: int, status: str, fcm_code: str | None = None) -> dict[str, Any]:
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}]
        if fcm_code
        else []
    )
    return {"error": {"code": code, "message": status, "status": status, "details": details}}


class FakeFcm(FakeServer):
    """Answers like FCM v1; delivers by ``data.idempotency_key``."""

    def __init__(self, project: str = "demo", token: str = "tok-1") -> None:
        self.project = project
        self.token = token
        super().__init__()

    def routes(self) -> None:
        """The send route."""

        @self.app.post("/v1/projects/{project}/messages:send")
        async def send(project: str, request: Request) -> JSONResponse:
            body = await request.json()
            msg = body.get("message") or {}
            key = (msg.get("data") or {}).get("idempotency_key", "")
            self.log(project=project, body=body, auth=request.headers.get("authorization"))
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse(_error(401, "UNAUTHENTICATED"), 401)
            if project != self.project or not msg.get("token"):
                return JSONResponse(_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), 400)
            mode = self.mode(key)
            if mode == "5xx":
                return JSONResponse(_error(503, "UNAVAILABLE", "UNAVAILABLE"), 503)
            if mode == "slow":
                await self.stall()
                return JSONResponse(_error(504, "DEADLINE_EXCEEDED"), 504)
            if mode == "429":
                return JSONResponse(
                    _error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
                    429,
                    headers={"Retry-After": "0.05"},
                )
            if mode == "permanent":
                return JSONResponse(_error(404, "NOT_FOUND", "UNREGISTERED"), 404)
            self.deliver(key)
            if mode == "accept_slow":
                await self.stall()
            return JSONResponse({"name": f"projects/{project}/messages/{uuid.uuid4().hex[:16]}"})
