"""Ingestion into the store, on SQLite and PostgreSQL: users on first sight, typed and custom
events, retries that change nothing, identity merges, aliases, consents with their source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.cdp.stream.support import canonical, rows, send, sender, snapshot, user
from userops.cdp.ingest.importer import import_file

T0 = "2026-11-01T10:00:00+00:00"
ORDER = {
    "type": "track",
    "userId": "u1",
    "event": "Order Completed",
    "messageId": "m-order",
    "timestamp": T0,
    "properties": {
        "order_id": "o1",
        "currency": "CNY",
        "discount": 5,
        "products": [
            {"sku": "beans", "name": "Beans", "category": "coffee", "price": 40, "quantity": 2},
            {"product_id": "mug", "category": "kitchen", "price": 15.5},
        ],
    },
}


def _mixed() -> list[dict[str, Any]]:
    return [
        ORDER,
        {"type": "track", "userId": "u1", "event": "Application Opened", "messageId": "m-open"},
        {"type": "page", "anonymousId": "a9", "name": "Pricing", "category": "coffee",
         "messageId": "m-page", "properties": {"path": "/pricing"}},
        {"type": "screen", "userId": "u2", "name": "Cart", "messageId": "m-screen"},
        {"type": "track", "userId": "u2", "event": "Video Played", "messageId": "m-video",
         "properties": {"title": "Latte art"}},
        {"type": "track", "userId": "u2", "event": "Email Link Clicked", "messageId": "m-click",
         "properties": {"campaign_id": "c7"}},
        {"type": "group", "userId": "u2", "groupId": "acme", "traits": {"plan": "team"},
         "messageId": "m-group"},
    ]  # fmt: skip


def test_events_are_typed_users_made_on_first_sight_and_a_retry_changes_nothing(
    any_engine: Engine,
) -> None:
    web = sender(any_engine)
    first = send(any_engine, web, *_mixed())
    assert (first.received, first.stored, first.duplicates, first.rejected) == (7, 7, 0, [])
    assert {u["external_id"]: u["source"] for u in rows(any_engine, "users")} == {
        "u1": "web",
        "anon:a9": "web",
        "u2": "web",
    }
    events = {
        e["properties"].get("event") or e["properties"].get("name"): e
        for e in rows(any_engine, "events")
    }
    order = events["Order Completed"]
    assert (order["type"], order["amount"], order["quantity"]) == ("order", 95.5, 3)
    assert order["ts"] == 1_793_527_200 and order["user_id"] == user(any_engine, "u1")["id"]
    assert [(i["sku"], i["category"], i["qty"]) for i in order["properties"]["items"]] == [
        ("beans", "coffee", 2),
        ("mug", "kitchen", 1),
    ]
    assert events["Application Opened"]["type"] == "app_open"
    assert events["Pricing"]["type"] == "page_view"
    assert events["Pricing"]["properties"] == {
        "path": "/pricing",
        "name": "Pricing",
        "category": "coffee",
    }
    assert events["Cart"]["properties"] == {"name": "Cart", "screen": True}
    assert (events["Video Played"]["type"], events["Video Played"]["properties"]["title"]) == (
        "custom",
        "Latte art",
    )
    click = events["Email Link Clicked"]
    assert (click["type"], click["channel"], click["campaign_id"]) == (
        "message_clicked",
        "email",
        "c7",
    )
    assert events["Group"]["properties"] == {
        "event": "Group",
        "group_id": "acme",
        "traits": {"plan": "team"},
    }
    before = snapshot(any_engine)
    again = send(any_engine, web, *_mixed())
    assert (again.stored, again.duplicates) == (0, 7)
    assert snapshot(any_engine) == before


def test_the_same_message_id_from_another_source_is_another_event(any_engine: Engine) -> None:
    send(any_engine, sender(any_engine, "web"), ORDER)
    send(any_engine, sender(any_engine, "app", "app"), ORDER)
    assert len(rows(any_engine, "events")) == 2


def test_a_bad_message_is_reported_writes_nothing_and_never_loses_the_good_ones(
    any_engine: Engine,
) -> None:
    web = sender(any_engine)
    out = send(
        any_engine,
        web,
        {"type": "track", "userId": "good1", "event": "Signed Up", "messageId": "g1"},
        {"type": "identify", "userId": "bad", "messageId": "b1",
         "traits": {"email": "bad@", "consent_sms": True}},
        {"type": "track", "userId": "good2", "event": "Signed Up", "messageId": "g2"},
    )  # fmt: skip
    assert [(r.index, r.field) for r in out.rejected] == [(1, "batch[1].traits.email")]
    assert (out.received, out.stored) == (3, 2)
    assert sorted(u["external_id"] for u in rows(any_engine, "users")) == ["good1", "good2"]
    assert rows(any_engine, "consents") == [] and rows(any_engine, "ingest_messages") == []


def test_identify_merges_with_an_imported_user_through_the_resolver(
    any_engine: Engine, tmp_path: Path
) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text("user_id,name,phone\ncrm-7,Li Lei,13800138000\n", encoding="utf-8")
    import_file(any_engine, "users", csv)
    web = sender(any_engine)
    send(any_engine, web, {"type": "track", "anonymousId": "anon-1", "event": "Product Viewed"})
    out = send(
        any_engine,
        web,
        {"type": "identify", "userId": "web-7", "anonymousId": "anon-1", "messageId": "i1",
         "timestamp": T0, "context": {"timezone": "Europe/Berlin", "locale": "en-GB"},
         "traits": {"firstName": "Lei", "lastName": "Li", "phone": "+86 138 0013 8000",
                    "email": "LI@Example.com", "plan": "gold",
                    "createdAt": "2025-01-01T00:00:00Z"}},
    )  # fmt: skip
    assert out.stored == 1 and not out.rejected
    web7 = user(any_engine, "web-7")
    assert (web7["phone"], web7["email"], web7["name"]) == (
        "+8613800138000",
        "li@example.com",
        "Lei Li",
    )
    assert (web7["timezone"], web7["language"], web7["created_ts"]) == (
        "Europe/Berlin",
        "en",
        1_735_689_600,
    )
    assert web7["attributes"] == {"traits": {"plan": "gold"}}
    crm = user(any_engine, "crm-7")["id"]
    assert canonical(any_engine, "web-7") == crm  # the imported record is older: it survives
    assert canonical(any_engine, "anon:anon-1") == crm  # the anonymous visitor joins too
    merges = {(m["merged_id"], m["kind"], m["actor"]) for m in rows(any_engine, "identity_merges")}
    assert (web7["id"], "phone", "ingest") in merges
    # later anonymous events of that visitor go straight to the identified user
    send(any_engine, web, {"type": "track", "anonymousId": "anon-1", "event": "Cart Viewed"})
    last = rows(any_engine, "events")[-1]
    assert last["properties"]["event"] == "Cart Viewed" and last["user_id"] == crm


def test_alias_links_a_previous_id(any_engine: Engine) -> None:
    web = sender(any_engine)
    send(
        any_engine,
        web,
        {"type": "track", "userId": "old-id", "event": "Signed Up"},
        {"type": "alias", "previousId": "old-id", "userId": "new-id", "messageId": "al1"},
        {"type": "alias", "previousId": "visitor-3", "userId": "new-id", "messageId": "al2"},
    )
    assert canonical(any_engine, "new-id") == canonical(any_engine, "old-id")
    send(any_engine, web, {"type": "page", "anonymousId": "visitor-3", "name": "Home"})
    assert rows(any_engine, "events")[-1]["user_id"] == canonical(any_engine, "new-id")
    before = snapshot(any_engine)
    send(
        any_engine,
        web,
        {"type": "alias", "previousId": "old-id", "userId": "new-id", "messageId": "al1"},
    )
    assert snapshot(any_engine) == before


def test_consents_come_from_traits_and_context_with_their_source_newer_wins(
    any_engine: Engine,
) -> None:
    app = sender(any_engine, "shop-app", "app")
    identify = {
        "type": "identify",
        "userId": "c1",
        "messageId": "c-1",
        "timestamp": "2026-11-01T10:00:00Z",
        "traits": {"consent_sms": True, "push_subscribe": "unsubscribed"},
        "context": {"consent": {"categoryPreferences": {"Email": True, "Advertising": False}}},
    }
    send(any_engine, app, identify)
    got = {(c["channel"], c["status"], c["source"]) for c in rows(any_engine, "consents")}
    assert got == {
        ("sms", "granted", "shop-app"),
        ("app_push", "withdrawn", "shop-app"),
        ("email", "granted", "shop-app"),
    }
    audit = [a for a in rows(any_engine, "audit") if a["action"] == "consent.set"]
    assert len(audit) == 3 and {a["actor"] for a in audit} == {"ingest"}
    assert {(a["detail"]["source"], a["detail"]["message_id"]) for a in audit} == {
        ("shop-app", "c-1")
    }
    older = {**identify, "messageId": "c-0", "timestamp": "2026-10-01T10:00:00Z",
             "traits": {"consent_sms": False}, "context": {}}  # fmt: skip
    send(any_engine, app, older)  # an older consent never overrides a newer one
    assert {c["channel"]: c["status"] for c in rows(any_engine, "consents")}["sms"] == "granted"
    update = {"type": "track", "userId": "c1", "event": "Segment Consent Preference Updated",
              "timestamp": "2026-11-02T10:00:00Z",
              "context": {"consent": {"categoryPreferences": {"sms": False}}}}  # fmt: skip
    send(any_engine, app, update)
    assert {c["channel"]: c["status"] for c in rows(any_engine, "consents")}["sms"] == "withdrawn"
