"""Fake AI outbound-call provider: ``POST /v1/call_tasks``; task ids are unique (409)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.server import FakeServer


class FakeVoice(FakeServer):
    """Records tasks; ``complete()`` builds the result callback the provider would post."""

    def __init__(self, api_key: str = "vk") -> None:
        self.api_key = api_key
        self.tasks: dict[str, dict[str, Any]] = {}
        super().__init__()

    def routes(self) -> None:
        """The task route."""

        @self.app.post("/v1/call_tasks")
        async def create(request: Request) -> JSONResponse:
            body = await request.json()
            task_id = body.get("task_id", "")
            self.log(body=body)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return JSONResponse({"error": "unauthorized"}, 401)
            script = body.get("script") or {}
            if not body.get("phone") or not script.get("opening") or not body.get("callback_url"):
                return JSONResponse({"error": "phone, script.opening, callback_url required"}, 400)
            if task_id in self.tasks:
                return JSONResponse({"error": "task exists", "task_id": task_id}, 409)
            mode = self.mode(task_id)
            if mode == "5xx":
                return JSONResponse({"error": "unavailable"}, 503)
            if mode == "slow":
                await self.stall()
                return JSONResponse({"error": "timeout"}, 504)
            if mode == "429":
                return JSONResponse({"error": "busy"}, 429, headers={"Retry-After": "1"})
            if mode == "permanent":
                return JSONResponse({"error": "number on the do-not-call list"}, 422)
            self.tasks[task_id] = body
            self.deliver(task_id)
            if mode == "accept_slow":
                await self.stall()
            return JSONResponse({"task_id": task_id, "status": "queued"}, 201)

    def complete(self, task_id: str, intent: str, tags: list[str], ended_at: int) -> dict[str, Any]:
        """The callback body for a finished call of ``task_id``."""
        task = self.tasks[task_id]
        return {
            "task_id": task_id,
            "status": "completed",
            "intent": intent,
            "tags": tags,
            "duration_seconds": 63,
            "ended_at": ended_at,
            "metadata": task["metadata"],
        }
