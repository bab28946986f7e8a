"""Unsubscribe links: signed per recipient, a confirmation page, RFC 8058 one-click POST."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from tests.api.feedback_support import (
    PUBLIC,
    UNSUB_KEY,
    Site,
    consent,
    count,
    events,
    make_site,
    next_dispatch,
    people,
)
from userops.dispatch.feedback import unsubscribe as tokens
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.render import unsubscribe_url
from userops.errors import BadInput

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def site(sqlite_engine: Engine, home: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """The app, and the same key and public URL for the workers' renderer."""
    monkeypatch.setenv("USEROPS_UNSUBSCRIBE_KEY", UNSUB_KEY)
    monkeypatch.setenv("USEROPS_PUBLIC_URL", PUBLIC + "/")
    return make_site(sqlite_engine, home)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_the_rendered_link_is_public_signed_and_one_click_withdraws(site: Site) -> None:
    ids = people(site.engine, 2, ("email",))
    url = unsubscribe_url(idempotency_key("c1", "s1", 1, "email"))
    assert url.startswith(PUBLIC + "/unsubscribe/") and ".invalid" not in url
    assert "u1@example.com" not in url and "138" not in url
    page = site.client.get(path_of(url), headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "确认退订" in page.text  # the user's language: zh
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert consent(site.engine, 1, "email") == ("granted", "test")  # GET changes nothing
    r = site.client.post(path_of(url), data=ONE_CLICK)
    assert r.status_code == 200 and "已退订" in r.text
    assert consent(site.engine, 1, "email") == ("withdrawn", "unsubscribe_link")
    assert [e[:4] for e in events(site.engine)] == [(1, "message_opted_out", "email", "c1")]
    again = site.client.post(path_of(url), data=ONE_CLICK)  # a second click: one event
    assert again.status_code == 200 and count(site.engine, "events") == 1
    assert next_dispatch(site.engine, ids, "email", "c2") == {
        1: ("suppressed", "consent"),
        2: ("pending", None),
    }


def test_multipart_one_click_as_mail_clients_post_it(site: Site) -> None:
    people(site.engine, 1, ("sms",))
    url = tokens.link(1, "sms", "c9", site.settings)
    r = site.client.post(path_of(url), files={"List-Unsubscribe": (None, "One-Click")})
    assert r.status_code == 200, r.text
    assert consent(site.engine, 1, "sms") == ("withdrawn", "unsubscribe_link")


@pytest.mark.parametrize("body", [{}, {"List-Unsubscribe": "yes"}, {"unsubscribe": "One-Click"}])
def test_a_post_without_one_click_is_a_located_400(site: Site, body: dict[str, str]) -> None:
    people(site.engine, 1, ("email",))
    url = tokens.link(1, "email", "c1", site.settings)
    r = site.client.post(path_of(url), data=body)
    assert r.status_code == 400 and "List-Unsubscribe" in r.text
    assert consent(site.engine, 1, "email") == ("granted", "test")
    assert count(site.engine, "events") == 0


def test_a_forged_or_altered_token_is_refused(site: Site) -> None:
    people(site.engine, 2, ("email",))
    good = tokens.make_token(1, "email", "c1", UNSUB_KEY.encode())
    other_key = tokens.make_token(2, "email", "c1", b"someone else's key")
    payload, mac = good.split(".")
    swapped = tokens.make_token(2, "email", "c1", UNSUB_KEY.encode()).split(".")[0] + "." + mac
    for bad in (other_key, swapped, payload, "x" * 500, "not.a-token", "..."):
        for method in ("GET", "POST"):
            r = site.client.request(method, f"/unsubscribe/{bad}", data=ONE_CLICK)
            assert r.status_code == 400, (bad, method, r.status_code)
            assert "token" in r.text
    assert consent(site.engine, 2, "email") == ("granted", "test")
    assert count(site.engine, "events") == 0 and count(site.engine, "audit") == 0


def test_a_token_of_a_user_not_in_the_store_is_404(site: Site) -> None:
    url = tokens.link(77, "email", "c1", site.settings)
    assert site.client.post(path_of(url), data=ONE_CLICK).status_code == 404
    assert count(site.engine, "events") == 0


def test_token_round_trip_and_refusals() -> None:
    key = b"k"
    t = tokens.make_token(42, "wechat_template", "camp|with|bars", key)
    assert tokens.verify(t, key) == tokens.Recipient(42, "wechat_template", "camp|with|bars")
    with pytest.raises(BadInput, match="signature"):
        tokens.verify(t, b"other")
    forged = tokens.make_token(42, "fax", "c1", key)
    with pytest.raises(BadInput, match="unknown channel"):
        tokens.verify(forged, key)


def test_without_a_configured_key_one_is_made_once_in_the_home(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USEROPS_UNSUBSCRIBE_KEY", raising=False)
    first = unsubscribe_url("c1|s1|1|email")
    assert (home / "unsubscribe.key").exists()
    assert unsubscribe_url("c1|s1|1|email") == first
    assert unsubscribe_url("c2|s1|1|email") != first  # per campaign
    assert first.startswith("http://127.0.0.1:8000/unsubscribe/")
