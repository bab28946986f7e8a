"""A minimal browser LangGraph client on another origin, in headless Chromium (Debian's,
driven by Playwright): over CORS it lists the interrupted threads (``POST /threads/search``)
and accepts one with Agent Inbox's resume (``[{"type": "accept"}]``); the thread leaves
the list and its approval is approved. The page (``lg_browser/inbox.html``) is served by a
second local HTTP server, so every API call is a cross-origin request with a preflight."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.agents.loop_doubles import make_deps, seed_users
from tests.api.conftest import live_server
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
PAGE_DIR = Path(__file__).parent / "lg_browser"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def static_origin() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(PAGE_DIR))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_browser_lists_and_accepts_over_cors(
    static_origin: str, sqlite_engine: Engine, home: Path
) -> None:
    seed_users(sqlite_engine, 30)
    olivia = add_user(sqlite_engine, "olivia", "operator")[1]
    ana = add_user(sqlite_engine, "ana", "approver")[1]
    settings = Settings(home=home, embedding="hashing", cors_origins=static_origin)
    app = create_app(settings, engine=sqlite_engine, loop_deps=make_deps(sqlite_engine))
    with live_server(app) as api:
        h = {"Authorization": f"Bearer {olivia}"}
        for tid in ("t-web-1", "t-web-2"):
            r = httpx.post(f"{api}/threads/{tid}/runs/wait", headers=h, json={
                "assistant_id": "userops", "input": {"goal": "win back"}})  # fmt: skip
            assert r.status_code == 200, r.text
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            allowed: list[str | None] = []  # each search answer's CORS header
            page.on(
                "response",
                lambda r: (
                    allowed.append(r.headers.get("access-control-allow-origin"))
                    if r.url.endswith("/threads/search")
                    else None
                ),
            )
            page.goto(f"{static_origin}/inbox.html#api={api}&token={ana}")
            expect = sync_api.expect
            expect(page.locator("#status")).to_have_text("listed 2")
            first = page.locator("li").first
            expect(first).to_contain_text("asks dispatch_campaign_step")
            chosen = first.get_attribute("data-thread")
            first.locator("button").click()
            expect(page.locator("#status")).to_contain_text(
                f"accepted {chosen} (200", timeout=20000
            )
            expect(page.locator("li")).to_have_count(1)
            browser.close()
        assert allowed and set(allowed) == {static_origin}  # listed twice, each over CORS
        other = ({"t-web-1", "t-web-2"} - {chosen}).pop()
        with sqlite_engine.connect() as conn:
            rows = conn.execute(text("SELECT thread_id, status, decided_by FROM approvals")).all()
        assert {tuple(r) for r in rows} == {(chosen, "approved", "ana"), (other, "pending", None)}
