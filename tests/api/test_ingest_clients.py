"""Real clients nobody here wrote: segment-analytics-python, rudder-sdk-python and Segment's
Node library (``@segment/analytics-node``, pinned in ``node_client/package-lock.json`` and
installed by ``make test``) send to a real ``userops serve``; the profile is read back from
the store."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from scripts.serve_procs import serve, stop
from tests.cdp.stream.support import canonical, rows, user
from userops.cdp.stream.sources import add_source
from userops.store.engine import make_engine, upgrade

pytestmark = pytest.mark.slow  # a real server starts (about 8 s on a loaded machine)
segment = pytest.importorskip("segment.analytics")
rudder = pytest.importorskip("rudderstack.analytics")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, dict[str, str]]]:
    """One ``userops serve`` (SQLite) for the module, with a source per client."""
    home = tmp_path_factory.mktemp("ingest-clients")
    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    upgrade(engine)
    names = ("segment-py", "rudder-py", "segment-node")
    keys = {name: add_source(engine, name, "web")[1] for name in names}
    proc, base = serve(home, log=home / "serve.log")
    try:
        yield base, engine, keys
    finally:
        stop(proc)
        engine.dispose()


PHONES = {"seg": "13900001111", "rud": "13900002222", "node": "13900003333"}
NODE_CLIENT = Path(__file__).parent / "node_client"
"""``send.mjs`` makes the calls of :func:`_drive` with Segment's Node library."""


def _drive(client: Any, prefix: str) -> None:
    """The same calls through either library (their signatures are Segment's)."""
    uid = f"{prefix}-user"
    client.track(anonymous_id=f"{prefix}-anon", event="Product Viewed", properties={"sku": "b1"})
    client.identify(
        user_id=uid,
        anonymous_id=f"{prefix}-anon",
        traits={"email": f"{prefix}@Example.com", "phone": PHONES[prefix], "consent_sms": True},
        context={"timezone": "Asia/Tokyo", "locale": "en-US"},
    )
    client.track(
        user_id=uid,
        event="Order Completed",
        properties={"total": 88.0, "products": [{"sku": "b1", "price": 44, "quantity": 2}]},
        message_id=f"{prefix}-order-1",
    )
    client.track(user_id=uid, event="Order Completed", message_id=f"{prefix}-order-1")  # again
    client.page(user_id=uid, category="coffee", name="Beans")
    client.screen(user_id=uid, name="Cart")
    client.group(user_id=uid, group_id="acme", traits={"plan": "team"})
    client.alias(previous_id=f"{prefix}-legacy", user_id=uid)
    client.flush()


def _check(engine: Engine, prefix: str, source: str) -> None:
    uid = f"{prefix}-user"
    u = user(engine, uid)
    assert (u["email"], u["phone"], u["timezone"]) == (
        f"{prefix}@example.com",
        "+86" + PHONES[prefix],
        "Asia/Tokyo",
    )
    me = canonical(engine, uid)
    assert canonical(engine, f"anon:{prefix}-anon") == me  # the anonymous visit joined
    assert canonical(engine, f"{prefix}-legacy") == me  # the alias joined
    ids = {int(x["id"]) for x in rows(engine, "users") if int(x["merged_into"] or x["id"]) == me}
    mine = [e for e in rows(engine, "events") if e["user_id"] in ids]
    kinds = sorted(
        (e["type"], e["properties"].get("event") or e["properties"].get("name")) for e in mine
    )
    assert kinds == [
        ("custom", "Group"),
        ("custom", "Product Viewed"),
        ("order", "Order Completed"),  # once: the repeated messageId changed nothing
        ("page_view", "Beans"),
        ("page_view", "Cart"),
    ]
    order = next(e for e in mine if e["type"] == "order")
    assert (order["amount"], order["quantity"]) == (88.0, 2)
    consents = [c for c in rows(engine, "consents") if c["user_id"] in ids]
    assert [(c["channel"], c["status"], c["source"]) for c in consents] == [
        ("sms", "granted", source)
    ]


def test_segment_analytics_python(site: tuple[str, Engine, dict[str, str]]) -> None:
    base, engine, keys = site
    errors: list[Any] = []
    client = segment.Client(
        keys["segment-py"], host=base, on_error=lambda e, batch: errors.append(e), max_retries=1
    )
    _drive(client, "seg")
    client.shutdown()
    assert errors == []
    _check(engine, "seg", "segment-py")


def test_rudder_sdk_python_gzip(site: tuple[str, Engine, dict[str, str]]) -> None:
    base, engine, keys = site
    errors: list[Any] = []
    client = rudder.Client(
        keys["rudder-py"], host=base, on_error=lambda e, batch: errors.append(e), max_retries=1
    )
    assert client.gzip  # rudder compresses its batches
    _drive(client, "rud")
    client.shutdown()
    assert errors == []
    _check(engine, "rud", "rudder-py")


def test_segment_analytics_node(site: tuple[str, Engine, dict[str, str]]) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_CLIENT / "node_modules" / "@segment" / "analytics-node").is_dir():
        pytest.skip("node or @segment/analytics-node missing (make node-deps installs it)")
    base, engine, keys = site
    sent = subprocess.run(
        [node, "send.mjs", base, keys["segment-node"], "node"],
        cwd=NODE_CLIENT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    _check(engine, "node", "segment-node")


def test_a_client_with_a_bad_key_gets_401(site: tuple[str, Engine, dict[str, str]]) -> None:
    base, _, _ = site
    errors: list[Any] = []
    client = segment.Client(
        "wk_wrong", host=base, on_error=lambda e, batch: errors.append(e), max_retries=1
    )
    client.track(user_id="x", event="Nope")
    client.flush()
    client.shutdown()
    assert [getattr(e, "status", None) for e in errors] == [401]
