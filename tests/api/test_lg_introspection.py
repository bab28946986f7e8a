"""LangGraph introspection with the real ``langgraph-sdk`` client against ``userops serve``'s
server, and the 501 every LangGraph route userops does not serve answers."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient


def _client(url: str, token: str) -> SyncLangGraphClient:
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


def test_ok_info_and_the_assistant(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    assert httpx.get(f"{url}/ok").json() == {"ok": True}  # public, like /health
    assert httpx.get(f"{url}/info").status_code == 401
    info = httpx.get(f"{url}/info", headers={"x-api-key": tokens["olivia"]}).json()
    assert info["flags"]["crons"] is False and info["version"]
    lg = _client(url, tokens["olivia"])
    [found] = lg.assistants.search(graph_id="userops", limit=5)
    aid = found["assistant_id"]
    assert lg.assistants.get(aid)["graph_id"] == "userops"
    assert lg.assistants.get("userops")["assistant_id"] == aid
    assert lg.assistants.search(graph_id="other") == []
    assert lg.assistants.count(graph_id="userops") == 1
    graph = lg.assistants.get_graph(aid)
    nodes = {n["id"] for n in graph["nodes"]}
    assert {"__start__", "intake", "plan", "approval_gate", "dispatch"} <= nodes
    assert {"source": "__start__", "target": "intake"}.items() <= graph["edges"][0].items()
    schemas = lg.assistants.get_schemas(aid)
    assert schemas["graph_id"] == "userops"
    assert schemas["input_schema"] is not None
    assert "messages" in schemas["input_schema"]["properties"]
    assert schemas["context_schema"] is None  # the loop's dependencies are not a client's
    [version] = lg.assistants.get_versions(aid)
    assert version["version"] == 1 and version["assistant_id"] == aid
    assert lg.assistants.get_versions(aid, offset=1) == []
    with pytest.raises(httpx.HTTPStatusError) as err:
        lg.assistants.get_graph("nope")
    assert err.value.response.status_code == 404


UNSUPPORTED = [
    ("POST", "/runs/crons", "/runs"),
    ("POST", "/runs/crons/search", "/runs"),
    ("PUT", "/store/items", "/store"),
    ("POST", "/store/namespaces", "/store"),
    ("POST", "/assistants", "/assistants"),
    ("DELETE", "/assistants/userops", "/assistants/{assistant_id}"),
    ("PATCH", "/assistants/userops", "/assistants/{assistant_id}"),
    ("GET", "/assistants/userops/subgraphs", "/assistants/{assistant_id}/subgraphs"),
    ("POST", "/runs/wait", "/runs"),
    ("POST", "/threads/prune", "/threads/prune"),
    ("GET", "/threads", "/threads"),
    ("POST", "/mcp", "/mcp"),
]


def test_unsupported_routes_answer_501(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    for method, path, template in UNSUPPORTED:
        r = httpx.request(method, url + path, json={}, headers={"x-api-key": tokens["olivia"]})
        assert r.status_code == 501, (method, path, r.status_code, r.text)
        assert r.json()["detail"].startswith(f"{method} {template} is not supported")
        assert httpx.request(method, url + path, json={}).status_code == 401  # no token: 401
    # untrusted text is never echoed, and a path that is no LangGraph route stays a 404
    for path in ("/threads/a%2Fb/copy", "/threads/x/nothing", "/assistants/x/y/z"):
        r = httpx.post(url + path, json={}, headers={"x-api-key": tokens["olivia"]})
        assert r.status_code == 404, (path, r.status_code, r.text)
    r = httpx.patch(url + "/assistants/%3Cscript%3E", headers={"x-api-key": tokens["olivia"]})
    assert r.status_code == 501 and "<script>" not in r.text


def test_sdk_store_and_crons_raise_501(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    lg = _client(url, tokens["olivia"])
    for call in (
        lambda: lg.store.put_item(["ns"], "k", {"v": 1}),
        lambda: lg.crons.search(),
    ):
        with pytest.raises(httpx.HTTPStatusError) as err:
            call()
        assert err.value.response.status_code == 501
