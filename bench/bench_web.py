"""The web app's page weight and time to first render, in Debian's headless Chromium.

A seeded store (1,000 people, simulated, profiles built), ``userops serve``'s uvicorn in a
thread, one campaign approved and run and one waiting at the gate, one journey version. Each page:
bytes of HTML + CSS + JS (uncompressed, as served) and, over 5 cold loads (a new browser
context each, so nothing cached), the median first contentful paint and DOMContentLoaded.
``BENCH_ONLY=web .venv/bin/python -m bench.run``; the figures are in ``docs/web.md``.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

GOAL = "召回90天没下单的用户，预算1000元，只发短信"
GOAL2 = "召回半年没下单的高价值用户，预算2000元"
RUNS = 5
SMS = "【优选】{name}，欢迎 回T退订"


def _serve(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    from userops.cli.serve import SERVER_OPTIONS

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    cfg = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS)
    srv = uvicorn.Server(cfg)
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return url, srv, th


def _setup(home: Path) -> tuple[Any, dict[str, str], dict[str, str]]:
    from userops.accounts import add_user
    from userops.api.app import create_app
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.journeys.records import create_journey
    from userops.journeys.spec import JourneySpec
    from userops.settings import Settings
    from userops.store.engine import make_engine, upgrade
    from userops.store.meta import mark_simulated

    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    upgrade(engine)
    seed_population(engine, users=1000, seed=7, language="zh")
    build_profiles(engine)
    mark_simulated(engine, "bench")
    people = {"olivia": "operator", "ana": "approver"}
    tokens = {n: add_user(engine, n, r)[1] for n, r in people.items()}
    journey = {
        "name": "welcome",
        "trigger": {"kind": "event", "event": "Signed Up"},
        "nodes": [
            {"kind": "send", "id": "hello", "channels": ["sms"], "next": "done",
             "variants": [{"variant_id": "w1", "channel": "sms", "body": SMS}]},
            {"kind": "exit", "id": "done"},
        ],
    }  # fmt: skip
    jid = create_journey(engine, JourneySpec.model_validate(journey), actor="olivia")["id"]
    app = create_app(Settings(home=home, embedding="hashing"), engine=engine)
    return app, tokens, {"journey": f"/ui/journeys/{jid}/1"}


def _flows(url: str, tokens: dict[str, str]) -> dict[str, str]:
    op = {"Authorization": f"Bearer {tokens['olivia']}"}
    ap = {"Authorization": f"Bearer {tokens['ana']}"}
    wait = httpx.post(f"{url}/v1/threads", json={"goal": GOAL}, headers=op, timeout=120).json()
    done = httpx.post(f"{url}/v1/threads", json={"goal": GOAL2}, headers=op, timeout=120).json()
    for t in (wait, done):
        if not t.get("approval_id"):
            raise RuntimeError(f"a goal did not reach the gate: {str(t)[:400]}")
    httpx.post(
        f"{url}/v1/approvals/{done['approval_id']}/decision",
        json={"decision": "approve"}, headers=ap, timeout=120,
    )  # fmt: skip
    return {
        "login": "/ui/login",
        "chat": f"/ui/chat/{wait['thread_id']}",
        "inbox": "/ui/inbox?status=all",
        "card": f"/ui/approvals/{wait['approval_id']}",
        "campaigns": "/ui/campaigns",
        "campaign": f"/ui/campaigns/{done['campaign_id']}",
    }


def _measure(browser: Any, url: str, token: str, path: str) -> tuple[int, float, float, str]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_cookies([{"name": "userops_token", "value": token, "url": f"{url}/ui"}])
    page = ctx.new_page()
    sizes: list[int] = []
    page.on(
        "response",
        lambda r: (
            sizes.append(len(r.body()))
            if r.request.resource_type in ("document", "stylesheet", "script") and r.status == 200
            else None
        ),
    )
    page.goto(url + path, wait_until="load")
    title = page.title()
    timing = page.evaluate(
        """() => new Promise((done) => {
          const n = performance.getEntriesByType('navigation')[0];
          const t0 = Date.now();
          const look = () => {
            const p = performance.getEntriesByName('first-contentful-paint')[0];
            const dcl = n.domContentLoadedEventEnd;
            if (p || Date.now() - t0 > 5000) done([p ? p.startTime : -1, dcl]);
            else setTimeout(look, 10);
          };
          look();
        })"""
    )
    ctx.close()
    return sum(sizes), float(timing[0]), float(timing[1]), title


def run(workdir: Path) -> dict[str, Any]:
    """Page bytes and median first paint per page."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"skipped": "Debian's chromium is not installed"}
    app, tokens, extra = _setup(workdir / "web-home")
    url, srv, th = _serve(app)
    out: dict[str, Any] = {}
    try:
        pages = {**_flows(url, tokens), **extra}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for name, path in pages.items():
                runs = [_measure(browser, url, tokens["ana"], path) for _ in range(RUNS)]
                out[f"{name}_bytes"] = runs[0][0]
                out[f"{name}_fcp_ms"] = round(statistics.median(r[1] for r in runs), 1)
                out[f"{name}_dcl_ms"] = round(statistics.median(r[2] for r in runs), 1)
                out[f"{name}_title"] = runs[0][3][:40]
            browser.close()
    finally:
        srv.should_exit = True
        th.join(10)
    dest = Path(__file__).parent / "out" / "web.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    import tempfile

    print(json.dumps(run(Path(tempfile.mkdtemp())), indent=1))
