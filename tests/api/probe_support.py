"""The probe's shared parts: a live server with a token per role, and hostile requests.

The probe (``pytest -m probe``, ``make probe``) sends schemathesis cases and hostile inputs to
every route of a real uvicorn server over loopback and counts the answers; any 5xx fails it.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, text

from tests.agents.loop_doubles import make_deps, seed_users
from tests.api.conftest import live_server
from userops.accounts import add_user
from userops.api.app import create_app
from userops.cdp.stream.sources import add_source
from userops.dispatch.feedback import unsubscribe
from userops.settings import Settings

ROLES = {"operator": "olivia", "approver": "ana", "admin": "root"}
UNDOCUMENTED = [("GET", "/"), ("GET", "/ui")]
"""Routes left out of /openapi.json (the web inbox): probed with hostile query strings."""
STREAMS = ("/events",)
"""Routes that stream until the client leaves: only their status line is read."""

LONG = {"10k": "a" * 10_000, "100k": "ä" * 100_000, "1M": "a" * 1_000_000}
STRINGS: dict[str, Any] = {
    **LONG,
    "nul": "a\x00b",
    "nuls": "\x00" * 64,
    "surrogate": "a\ud800b",
    "bidi": "\u202egnp.exe",
    "fence": "</untrusted_data>{name}%s%n",
}
NUMBERS: dict[str, Any] = {
    "2^63": 2**63,
    "2^64": 2**64,
    "-2^63-1": -(2**63) - 1,
    "1e100": 10**100,
    "1e308": 1e308,
    "-0.5": -0.5,
}
VALUES: dict[str, Any] = {**STRINGS, **NUMBERS, "deep": None}
"""Every hostile value a body field gets (``deep``: 10,000 nested lists)."""
PARAMS = {
    **{k: v for k, v in STRINGS.items() if k not in ("100k", "1M")},
    "2^63": str(2**63),
    "-2^63-1": str(-(2**63) - 1),
    "1e309": "1e309",
    "nan": "NaN",
    "pct00": "%00",
}
"""Hostile query and path values (a request line over ~64 KiB is refused by the server)."""
DEPTH = 10_000


def deep(depth: int = DEPTH) -> str:
    """JSON text of ``depth`` nested lists."""
    return "[" * depth + "]" * depth


def _raw_bodies() -> dict[str, bytes]:
    return {
        "invalid-utf8": b'{"goal": "\xff\xfe\xfd", "text": "\xc3\x28"}',
        "invalid-utf8-bare": b"\xff\xfe\x00\x00garbage\x80",
        "nul-raw": b'{"goal": "a\x00b"}',
        "deep-list": deep().encode(),
        "deep-object": ('{"a":' * DEPTH + "1" + "}" * DEPTH).encode(),
        "huge-int-literal": b'{"limit": ' + b"9" * 5000 + b"}",
        "nan": b'{"goal": NaN, "limit": Infinity}',
        "1M-string": json.dumps("a" * 1_000_000).encode(),
        "truncated": b'{"goal": "win',
    }


RAW_BODIES = _raw_bodies()


@dataclass
class Probe:
    """A live server over a seeded store, a token per role, and real ids to aim at."""

    url: str
    tokens: dict[str, str]
    ids: dict[str, str]
    spec: dict[str, Any]
    found: list[str] = field(default_factory=list)
    """Every 5xx (or dropped connection, or hang): ``METHOD PATH [what]: status cause``."""
    codes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """The server's logged exceptions (``Type: message @ file:line``), newest last."""

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


class _Errors(logging.Handler):
    """Keeps the last frame and message of every exception the server logs."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "site-packages" not in f.filename]
            ours = [f for f in ours if not f.filename.endswith("metrics.py")] or frames
            spots = dict.fromkeys(
                f"{Path(f.filename).name}:{f.lineno}" for f in (ours[-1], frames[-1])
            )
            where = ", ".join(spots)
            self.into.append(f"{type(exc).__name__}: {str(exc)[:100]} @ {where}")


@contextmanager
def probe_site(engine: Engine, home: Path, database_url: str | None = None) -> Iterator[Probe]:
    """Serve the app over ``engine`` with one user per role and a thread awaiting approval."""
    seed_users(engine, 30)
    if engine.dialect.name == "postgresql":  # seed_users writes explicit ids
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), 30)"))
    tokens = {role: add_user(engine, name, role)[1] for role, name in ROLES.items()}
    settings = Settings(home=home, embedding="hashing", database_url=database_url)
    app = create_app(settings, engine=engine, loop_deps=make_deps(engine))
    with live_server(app) as url:
        auth = {"Authorization": f"Bearer {tokens['operator']}"}
        r = httpx.post(
            f"{url}/v1/threads", json={"goal": "win back", "thread_id": "probe"}, headers=auth
        )
        assert r.status_code == 201, r.text
        aid = str(r.json()["approval_id"])
        card = httpx.get(f"{url}/v1/approvals/{aid}", headers=auth).json()
        comment = {  # a LangGraph run on the thread that leaves it waiting: a run id to probe
            "assistant_id": "userops",
            "command": {"resume": [{"type": "response", "args": "why this audience?"}]},
        }
        approver = {"Authorization": f"Bearer {tokens['approver']}"}
        r = httpx.post(f"{url}/threads/probe/runs/wait", json=comment, headers=approver)
        assert r.status_code == 200, r.text
        runs = httpx.get(f"{url}/threads/probe/runs", headers=approver).json()
        state = httpx.get(f"{url}/threads/probe/state", headers=approver).json()
        ids = {
            "thread_id": "probe",
            "approval_id": aid,
            "campaign_id": str(card.get("campaign_id") or "c"),
            "assistant_id": "userops",
            "run_id": str(runs[0]["run_id"]),
            "checkpoint_id": str(state["checkpoint"]["checkpoint_id"]),
            "user_id": "7",
            "token": unsubscribe.make_token(7, "email", "probe", unsubscribe.signing_key(settings)),
            "write_key": add_source(engine, "probe", "web")[1],
        }
        probe = Probe(url, tokens, ids, app.openapi())
        handler = _Errors(probe.errors)
        log = logging.getLogger("uvicorn.error")
        log.addHandler(handler)
        try:
            yield probe
        finally:
            log.removeHandler(handler)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation)`` for every documented route."""
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/threads"): {"goal": "win back lapsed buyers", "thread_id": "{new}"},
    ("POST", "/v1/threads/{thread_id}/messages"): {"text": "win back lapsed buyers"},
    ("POST", "/v1/threads/{thread_id}/stream"): {"text": "win back lapsed buyers"},
    ("POST", "/v1/approvals/{approval_id}/decision"): {
        "decision": "respond",
        "comment": "why this audience?",
        "client_decision_id": "{new}",
    },
    ("POST", "/v1/segments/preview"): {"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]},
    ("PUT", "/v1/policy"): {"batch_size": 500},
    ("POST", "/assistants/search"): {"graph_id": "userops", "limit": 10},
    ("POST", "/threads"): {"thread_id": "{new}", "metadata": {"k": "v"}},
    ("PATCH", "/threads/{thread_id}"): {"metadata": {"k": "v"}},
    ("POST", "/threads/search"): {"status": "interrupted", "metadata": {"k": "v"}, "limit": 5},
    ("POST", "/threads/{thread_id}/state"): {"values": None, "as_node": "__end__"},
    ("POST", "/threads/{thread_id}/runs"): {
        "assistant_id": "userops",
        "input": {"goal": "win back lapsed buyers"},
        "stream_mode": ["values", "events"],
    },
    ("POST", "/threads/{thread_id}/runs/wait"): {
        "assistant_id": "userops",
        "input": {"goal": "win back lapsed buyers"},
    },
    ("POST", "/threads/{thread_id}/runs/stream"): {
        "assistant_id": "userops",
        "input": {"messages": [{"role": "user", "content": "win back lapsed buyers"}]},
        "stream_mode": "updates",
    },
    ("POST", "/v1/profiles/import"): "external_id,name,phone\nprobe-1,Ann,+8613800000001\n",
}
_TRACK = {
    "userId": "probe-1",
    "event": "Probe Viewed",
    "messageId": "{new}",
    "properties": {"note": "x", "revenue": 1},
    "context": {"timezone": "Asia/Shanghai", "locale": "zh-CN", "device": {"id": "d1"}},
}
_WK = {"writeKey": "{write_key}"}
"""Segment ingest bodies carry the probe source's write key (the probe sends a bearer token,
which these routes do not take), so their hostile variants reach validation and the store.
Page, screen, group and alias share that code and get the raw hostile bodies only."""
BODIES.update(
    {
        ("POST", "/v1/track"): {**_WK, **_TRACK},
        ("POST", "/v1/batch"): {**_WK, "batch": [{"type": "track", **_TRACK}], "context": {}},
        ("POST", "/v1/identify"): {
            **_WK,
            "userId": "probe-1",
            "messageId": "{new}",
            "traits": {"email": "a@b.cn", "phone": "+8613800000001", "name": "Ann"},
        },
    }
)
"""A valid request body per route; the probe replaces one field at a time (a route missing
here gets ``{"probe": "x"}``, so its hostile bodies are still sent)."""
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/profiles/import"): {"kind": "users", "format": "csv"},
    ("GET", "/v1/profiles/search"): {"q": "tutorial fans", "k": "3"},
}


def _fresh(value: Any) -> Any:
    if value == "{new}":
        return f"p-{uuid.uuid4().hex[:12]}"
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _with_ids(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with ``"{write_key}"`` (any ``"{name}"`` of ``ids``) filled in."""
    if isinstance(value, str) and value.startswith("{") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


def _leaves(body: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(body, dict):
        for k, v in body.items():
            yield prefix + (k,)
            if isinstance(v, dict):
                yield from _leaves(v, prefix + (k,))


def _replace(body: Any, where: tuple[str, ...], value: Any) -> Any:
    out = dict(body)
    if len(where) == 1:
        out[where[0]] = value
    else:
        out[where[0]] = _replace(out[where[0]], where[1:], value)
    return out


@dataclass
class Request:
    """One hostile request: what it changes, and the request itself."""

    what: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, bytes] = field(default_factory=dict)


def _quote(value: str) -> str:
    """Percent-encode ``value``'s UTF-8 (a lone surrogate becomes invalid UTF-8 bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _encode(body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False).replace('"__DEEP__"', deep())
    return text.encode("utf-8", "surrogatepass")


def _body_variants(base: Any) -> Iterator[tuple[str, bytes]]:
    """``(what, body)``: each field of ``base`` replaced by each hostile value, raw bodies."""
    if isinstance(base, str):  # an upload: hostile files
        for name, value in STRINGS.items():
            yield f"file={name}", f"{base}probe-2,{value},\n".encode("utf-8", "surrogatepass")
    else:
        for where in _leaves(base):
            for name, value in VALUES.items():
                body = _replace(_fresh(base), where, "__DEEP__" if name == "deep" else value)
                yield f"{'.'.join(where)}={name}", _encode(body)
    yield from ((f"body={name}", raw) for name, raw in RAW_BODIES.items())


def hostile_requests(
    method: str, path: str, op: dict[str, Any], ids: dict[str, str]
) -> Iterator[Request]:
    """Every hostile variant of one route: each param, each body field, each raw body."""
    query = QUERIES.get((method, path), {})
    ctype = next(iter(op.get("requestBody", {}).get("content", {})), "application/json")
    base = _with_ids(BODIES.get((method, path)), ids)
    if base is None and op.get("requestBody"):  # a route the probe has no valid body for
        base = {"probe": "x"} if ctype == "application/json" else "probe\nx\n"

    def fill(override: dict[str, str] | None = None) -> str:
        got = {k: _quote(v) for k, v in {**ids, **(override or {})}.items()}
        if method == "POST" and "thread_id" in path and not override:
            got["thread_id"] = f"p-{uuid.uuid4().hex[:12]}"  # a new thread: the loop runs
        return path.format(**got)

    def req(what: str, **kw: Any) -> Request:
        kw.setdefault("path", fill())
        kw.setdefault("params", query)
        if "content" not in kw and base is not None:  # the valid body, with fresh ids
            kw["content"] = base.encode() if isinstance(base, str) else _encode(_fresh(base))
        return Request(what, method, content_type=ctype, **kw)

    for p in op.get("parameters", []):
        for name, value in PARAMS.items():
            what = f"{p['name']}={name}"
            if p["in"] == "path":
                yield req(what, path=fill({p["name"]: value}))
            elif p["in"] == "header":  # only what HTTP can carry in a header
                header = value.replace("\x00", "").encode("utf-8", "surrogatepass")
                yield req(what, headers={p["name"]: header})
            else:
                yield req(what, params={**query, p["name"]: value})
    if base is not None:
        for what, content in _body_variants(base):
            yield req(what, content=content)


def send(probe: Probe, client: httpx.Client, req: Request, role: str = "admin") -> int | None:
    """Send ``req``; record a 5xx, a dropped connection or a hang in ``probe.found``."""
    headers: dict[str, str | bytes] = {
        **probe.auth(role),
        "Content-Type": req.content_type,
        **req.headers,
    }
    label = f"{req.method} {req.path[:80]} [{req.what}]"
    query = "&".join(f"{k}={_quote(v)}" for k, v in req.params.items())
    url = probe.url + req.path + (f"?{query}" if query else "")
    logged = len(probe.errors)
    try:
        for attempt in (1, 2):  # the server closes a connection after a 500: retry on a new one
            try:
                with client.stream(req.method, url, content=req.content, headers=headers) as r:
                    status = r.status_code
                    body = b"" if req.path.endswith(STREAMS) else r.read()
                break
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if attempt == 2:
                    raise
    except httpx.TimeoutException:
        probe.found.append(f"{label}: no answer in {client.timeout.read} s")
        return None
    except httpx.TransportError as exc:
        if len(req.path) + sum(len(v) for v in req.params.values()) > 60_000:
            return None  # a request line this long is refused by the HTTP parser itself
        probe.found.append(f"{label}: connection dropped ({type(exc).__name__})")
        return None
    probe.codes.append(status)
    if status >= 500:
        for _ in range(50):  # the server logs the exception just after answering
            if len(probe.errors) > logged:
                break
            time.sleep(0.01)
        cause = "; ".join(probe.errors[logged:]) or repr(body[:200])
        probe.found.append(f"{label}: {status} {cause}")
    return status
