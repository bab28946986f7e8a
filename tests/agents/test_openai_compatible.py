"""The LLM planner through the real ``ChatOpenAI`` against a loopback OpenAI-compatible server.

Checks the provider wiring (chat completions, not the responses API; structured output by
function calling) and that no contact data goes over the wire.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.goal.parser import parse_goal
from agents.planning.common import personas_of
from agents.planning.llm import LLMPlanner
from tests.doubles import make_ctx, populate
from tools.segments import audience_stats
from userops.privacy import find_contact_data
from userops.settings import Settings

GOAL = "召回最近60天没下单的高价值用户，只发邮件，联系人13900001111"


def completion(message):
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def answer(body):
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if tools == ["PlanDraft"]:
        args = {"name": "召回", "segment": {"all": []}, "channels": ["email"], "rationale": "r"}
    elif tools == ["ContentDraft"]:
        args = {"headline": "{name}，好久不见", "angle": "回归礼{offer}", "cta": "回来看看"}
    else:
        return {"role": "assistant", "content": "ok"}
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": tools[0], "arguments": json.dumps(args)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


@pytest.fixture
def server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            data = json.dumps(completion(answer(body))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()


def test_llm_planner_over_chat_completions(sqlite_engine, server):
    url, seen = server
    populate(sqlite_engine, 80)
    settings = Settings(llm_model="test-model", llm_base_url=url, llm_api_key="k")
    ctx = make_ctx(sqlite_engine, settings=settings)
    goal = parse_goal(GOAL)
    plan = LLMPlanner(ctx).plan(goal, [], None)
    n = len(personas_of(audience_stats(ctx, ctx.segment_ids(goal.audience))))
    assert len(seen) == 2 + n
    assert {path for path, _ in seen} == {"/v1/chat/completions"}
    assert all(b["model"] == "test-model" for _, b in seen)
    assert {t["function"]["name"] for t in seen[0][1]["tools"]} >= {"preview_segment"}
    assert seen[1][1]["tool_choice"]["function"]["name"] == "PlanDraft"
    assert plan.steps[0].channel_rule.preferred == ["email"]
    wire = json.dumps([b for _, b in seen], ensure_ascii=False)
    assert find_contact_data(wire) == []
