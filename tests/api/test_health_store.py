"""``/health`` checks the store: 503 on a store damaged mid-file, ``deep`` needs a token."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.agents.loop_doubles import make_deps
from tests.store.damage import corrupt_mid_file, filled_store
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings
from userops.store.engine import make_engine


def _client(home: Path, db: Path) -> TestClient:
    engine = make_engine(f"sqlite:///{db}")  # opened as before: no start-up check
    app = create_app(
        Settings(home=home, embedding="hashing"),
        engine=engine,
        loop_deps=make_deps(engine),
        recover=False,
    )
    return TestClient(app)


def test_health_reports_a_store_damaged_mid_file(home: Path) -> None:
    """Before: ``{"status": "ok"}`` while an approval on the same store failed mid-send."""
    db = home / "userops.db"
    engine = filled_store(db)
    token = add_user(engine, "ana", "approver")[1]
    engine.dispose()
    with _client(home, db) as client:
        sound = client.get("/health")
        assert sound.status_code == 200, sound.text
        store = sound.json()["store"]
        assert sound.json()["status"] == "ok"
        assert store["ok"] and store["complete"] and store["check"] == "quick_check"
        assert client.get("/health?deep=1").status_code == 401
        deep = client.get("/health?deep=1", headers={"Authorization": f"Bearer {token}"})
        assert deep.status_code == 200 and deep.json()["store"]["check"] == "integrity_check"
    corrupt_mid_file(db)
    with _client(home, db) as client:
        hurt = client.get("/health")
        assert hurt.status_code == 503, hurt.text
        assert hurt.json()["status"] == "unavailable"
        assert "malformed" in hurt.json()["store"]["error"]
        assert str(db) not in hurt.text  # public: the path stays in the server's log
        deep = client.get("/health?deep=1", headers={"Authorization": f"Bearer {token}"})
        assert deep.status_code == 503 and deep.json()["store"]["ok"] is False
