"""A local OpenAI-compatible chat server (``POST /v1/chat/completions``) with model faults.

Answers like a cooperative model: a short text to the tool loop, a ``PlanDraft`` to the
plan request, a ``ContentDraft`` per content request, ``JudgeScores`` to the judge. Faults
(see :class:`tests.fakes.server.Faults`, one mode per request):

* ``429`` — rate limited with ``Retry-After: <retry_after>``;
* ``500`` — an internal error;
* ``slow`` — answers after ``slow_seconds`` (past the client's timeout);
* ``bad_args`` — a tool call whose ``arguments`` are not JSON;
* ``truncated`` — the answer stops at the token limit (``finish_reason: length``) in the
  middle of the tool call's JSON;
* ``cut_body`` — the HTTP body itself is cut in the middle of the JSON document;
* ``empty`` — an empty answer (no content, no tool call).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.server import FakeServer
from userops.settings import Settings

DRAFTS: dict[str, dict[str, Any]] = {
    "PlanDraft": {"name": "召回", "segment": {"all": []}, "channels": ["email"], "rationale": "r"},
    "ContentDraft": {"headline": "{name}，好久不见", "angle": "回归礼{offer}", "cta": "回来看看"},
    "JudgeScores": {"relevance": 4, "personalization": 4, "tone": 4, "comment": "ok"},
}


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    """A chat completion document around one assistant message."""
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_message(name: str, arguments: str) -> dict[str, Any]:
    """An assistant message calling ``name`` with raw ``arguments``."""
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


class FakeOpenAIChat(FakeServer):
    """The fake model server; ``requests`` holds each request body, ``modes`` the faults."""

    retry_after = 1
    slow_seconds = 2.0

    def settings(self, home: Path) -> Settings:
        """Settings whose chat model is this fake (0.5 s per request, hashing embeddings)."""
        return Settings(
            home=home,
            embedding="hashing",
            llm_model="m",
            llm_base_url=f"{self.url}/v1",
            llm_api_key="k",
            llm_timeout_s=0.5,
        )

    def answer(self, body: dict[str, Any], mode: str) -> tuple[dict[str, Any], str]:
        """The assistant message (and finish reason) for one request in ``mode``."""
        forced = (body.get("tool_choice") or {}).get("function", {}).get("name")
        if mode == "empty":
            return {"role": "assistant", "content": ""}, "stop"
        if forced is None:  # the tool loop: look no further
            if mode in ("bad_args", "truncated"):
                return tool_message("preview_segment", '{"spec": {"all": [{"trait"'), "stop"
            return {"role": "assistant", "content": "ok"}, "stop"
        args = json.dumps(DRAFTS.get(forced, {}), ensure_ascii=False)
        if mode == "bad_args":
            return tool_message(forced, "{name: 召回, segment: ???}"), "tool_calls"
        if mode == "truncated":
            return tool_message(forced, args[: len(args) // 2]), "length"
        return tool_message(forced, args), "tool_calls"

    def routes(self) -> None:
        """``POST /v1/chat/completions``."""

        @self.app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.log(body=body)
            mode = self.mode(None)
            if mode == "429":
                return JSONResponse(
                    {"error": {"message": "rate limited", "type": "rate_limit"}},
                    429,
                    headers={"Retry-After": str(self.retry_after)},
                )
            if mode == "500":
                return JSONResponse({"error": {"message": "boom", "type": "server"}}, 500)
            if mode == "slow":
                await self.stall()
            message, finish = self.answer(body, mode)
            data = json.dumps(completion(message, finish), ensure_ascii=False)
            if mode == "cut_body":
                data = data[: len(data) // 2]
            self.deliver(mode)
            return Response(data, media_type="application/json")
