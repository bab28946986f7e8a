"""Text and body limits: one definition for every entry point; oversize bodies refused early."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.conftest import Api
from userops.settings import get_settings

GOAL_10MB = b'{"assistant_id": "userops", "input": {"goal": "' + b"a" * 10_000_000 + b'"}}'


def _raw_post(url: str, path: str, token: str, body: bytes, *, chunked: bool) -> int:
    """POST ``body`` over a plain socket (sending it on while the answer is read); the status.

    httpx would write the whole body before reading; a server that answers early and closes
    would look like a failed write.
    """
    host, port = urlsplit(url).hostname or "", urlsplit(url).port or 80
    head = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {token}"]
    head.append("Content-Type: application/json")
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}")
    step = 1 << 16
    with socket.create_connection((host, port), timeout=20) as sock:

        def send() -> None:
            try:
                sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
                for i in range(0, len(body), step):
                    part = body[i : i + step]
                    sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed before the whole body was sent

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = b""
        while b"\r\n" not in answer:
            got = sock.recv(4096)
            if not got:
                break
            answer += got
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_health_answers_fast_while_a_10mb_goal_is_refused(
    site: tuple[str, dict[str, str]], chunked: bool
) -> None:
    url, tokens = site
    path = f"/threads/{uuid.uuid4()}/runs/wait"
    status: list[int] = []
    post = threading.Thread(
        target=lambda: status.append(
            _raw_post(url, path, tokens["olivia"], GOAL_10MB, chunked=chunked)
        ),
        daemon=True,
    )
    with httpx.Client(base_url=url, timeout=5) as client:
        assert client.get("/health").status_code == 200  # connection warm
        post.start()
        waits: list[float] = []
        while post.is_alive() or len(waits) < 5:
            t0 = time.perf_counter()
            assert client.get("/health").status_code == 200
            waits.append(time.perf_counter() - t0)
            time.sleep(0.02)
        post.join(30)
    assert status == [413]
    assert max(waits) < 0.2, f"/health took {max(waits) * 1000:.0f} ms"


def test_bodies_over_the_limit_are_413_before_parsing(api: Api) -> None:
    big = b'{"goal": "' + b"x" * (get_settings().max_body_bytes + 10) + b'"}'
    r = api.client.post("/v1/threads", content=big, headers=api.auth("olivia"))
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it is read
        yield b'{"goal": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    r = api.client.post("/v1/threads", content=chunks(), headers=api.auth("olivia"))
    assert r.status_code == 413
    # under the limit the same route parses the body as usual (a 422 naming the field)
    r = api.client.post("/v1/threads", json={"goal": ""}, headers=api.auth("olivia"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "goal"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"input": {"goal": "g" * 4001}}, "input.goal"),
        ({"input": {"messages": [{"role": "user", "content": "m" * 4001}]}}, "input.messages.0"),
    ],
)
def test_langgraph_goal_has_the_v1_limit(api: Api, body: dict[str, object], loc: str) -> None:
    path = f"/threads/{uuid.uuid4()}/runs/wait"
    r = api.client.post(path, json={"assistant_id": "userops", **body}, headers=api.auth("olivia"))
    assert r.status_code == 422, r.text
    problem = r.json()["detail"][0]
    assert problem["field"].startswith(loc) and "at most 4000 characters" in problem["msg"]
    assert len(problem["value"]) < 50  # the text is not echoed back whole


def test_one_setting_limits_every_entry_point(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USEROPS_MAX_TEXT_CHARS", "100")
    get_settings.cache_clear()
    try:
        long, auth = "x" * 101, api.auth("olivia")
        r = api.client.post("/v1/threads", json={"goal": long}, headers=auth)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "goal"]
        tid = str(uuid.uuid4())
        r = api.client.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "userops", "input": {"goal": long}},
            headers=auth,
        )
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "input.goal"
        r = api.client.post(
            "/v1/approvals/a1/decision",
            json={"decision": "reject", "comment": long},
            headers=api.auth("ana"),
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "comment"]
        assert api.client.post("/v1/threads", json={"goal": "x" * 100}, headers=auth).is_success
    finally:
        get_settings.cache_clear()
