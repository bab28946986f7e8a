"""LangGraph introspection (``/ok``, ``/info``, graph, schemas, versions) and the 501s.

``/ok``, ``/info`` and the ``userops`` assistant's graph, schemas and versions; every other
LangGraph route answers 501 naming what is unsupported.

The assistant itself (search, get) is in :mod:`userops.api.routes.langgraph_compat`. The
catch-all :data:`unsupported` router must be included after every other router: a path an
earlier route serves is never reached here, so only what userops does not implement (crons,
the store, threadless runs, assistant edits...) gets the 501, never a bare 404 or 405.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from userops.api.deps import AnyUser, RuntimeDep
from userops.api.loop import jsonable
from userops.api.routes.langgraph_compat import GRAPH_ID, _assistant, _check_assistant

router = APIRouter(tags=["langgraph"])
unsupported = APIRouter(tags=["langgraph"])

LANGGRAPH_PREFIXES = ("assistants", "threads", "runs", "store", "mcp", "a2a")
"""First path segments of the LangGraph server API (docs/api.md, "LangGraph API")."""
_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.get("/ok")
def ok() -> dict[str, bool]:
    """Liveness as LangGraph clients probe it (public, like ``/health``)."""
    return {"ok": True}


@router.get("/info")
def info(_user: AnyUser) -> dict[str, Any]:
    """Server version and the optional LangGraph features it offers (none of them)."""
    from userops import __version__

    return {
        "version": __version__,
        "langgraph_py_version": _langgraph_version(),
        "flags": {"assistants": True, "crons": False, "langsmith": False, "store": False},
        "metadata": {"server": "userops"},
    }


def _langgraph_version() -> str:
    from importlib.metadata import version

    return version("langgraph")


@router.post("/assistants/count")
def count_assistants(_user: AnyUser, body: dict[str, Any] = Body(default={})) -> int:
    """1 (the userops loop), 0 when another graph is asked for."""
    return 1 if body.get("graph_id") in (None, GRAPH_ID) else 0


@router.get("/assistants/{assistant_id}/graph")
def assistant_graph(assistant_id: str, _user: AnyUser, rt: RuntimeDep) -> dict[str, Any]:
    """The loop's nodes and edges (``xray`` is accepted; the loop has no subgraphs)."""
    _check_assistant(assistant_id)
    out: dict[str, Any] = jsonable(rt.graph.get_graph().to_json())
    return out


@router.get("/assistants/{assistant_id}/schemas")
def assistant_schemas(assistant_id: str, _user: AnyUser, rt: RuntimeDep) -> dict[str, Any]:
    """Input, output and state JSON schemas; no config or context a client may set."""
    _check_assistant(assistant_id)
    return {
        "graph_id": GRAPH_ID,
        "input_schema": rt.graph.get_input_jsonschema(),
        "output_schema": rt.graph.get_output_jsonschema(),
        "state_schema": rt.graph.get_output_jsonschema(),
        "config_schema": None,
        "context_schema": None,  # the loop's dependencies are the server's, not a client's
    }


@router.post("/assistants/{assistant_id}/versions")
def assistant_versions(
    assistant_id: str, _user: AnyUser, body: dict[str, Any] = Body(default={})
) -> list[dict[str, Any]]:
    """The one version of the assistant (``metadata``, ``limit``, ``offset`` honoured)."""
    _check_assistant(assistant_id)
    wanted = body.get("metadata") or {}
    limit, offset = body.get("limit", 10), body.get("offset", 0)
    found = [] if wanted else [_assistant()]
    if not isinstance(limit, int) or not isinstance(offset, int) or limit < 0 or offset < 0:
        return found[:0]
    return found[offset : offset + limit]


_ID = "[^/]{1,200}"
UNSUPPORTED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern.replace("{id}", _ID)), template)
    for pattern, template in (
        ("/assistants", "/assistants"),
        ("/assistants/{id}", "/assistants/{assistant_id}"),
        ("/assistants/{id}/latest", "/assistants/{assistant_id}/latest"),
        ("/assistants/{id}/subgraphs(/.*)?", "/assistants/{assistant_id}/subgraphs"),
        ("/threads", "/threads"),
        ("/threads/prune", "/threads/prune"),
        ("/threads/{id}", "/threads/{thread_id}"),
        ("/threads/{id}/copy", "/threads/{thread_id}/copy"),
        ("/threads/{id}/state", "/threads/{thread_id}/state"),
        ("/threads/{id}/state/{id}", "/threads/{thread_id}/state/{checkpoint_id}"),
        ("/threads/{id}/stream", "/threads/{thread_id}/stream"),
        ("/threads/{id}/runs", "/threads/{thread_id}/runs"),
        ("/threads/{id}/runs/crons(/.*)?", "/threads/{thread_id}/runs/crons"),
        ("/threads/{id}/runs/{id}", "/threads/{thread_id}/runs/{run_id}"),
        ("/threads/{id}/runs/{id}/(join|stream|cancel)", "/threads/{thread_id}/runs/{run_id}"),
        ("/runs(/.*)?", "/runs"),
        ("/store(/.*)?", "/store"),
        ("/mcp(/.*)?", "/mcp"),
        ("/a2a(/.*)?", "/a2a"),
    )
]
"""LangGraph routes userops does not serve (a method another route serves never gets here)."""


def _not_supported(request: Request, _user: AnyUser) -> JSONResponse:
    path = request.url.path
    for pattern, template in UNSUPPORTED:
        if pattern.fullmatch(path):  # linear-time: no nested quantifiers
            what = f"{request.method} {template}"
            return JSONResponse(
                {
                    "detail": f"{what} is not supported by userops (docs/api.md, 'LangGraph API')",
                    "supported": False,
                },
                status_code=501,
            )
    return JSONResponse({"detail": "Not Found"}, status_code=404)  # not a LangGraph route


for _prefix in LANGGRAPH_PREFIXES:
    for _path in (f"/{_prefix}", f"/{_prefix}/{{rest:path}}"):
        unsupported.add_api_route(
            _path, _not_supported, methods=_ALL, include_in_schema=False, name=f"lg_501_{_prefix}"
        )
