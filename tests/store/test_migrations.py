from sqlalchemy import Engine, inspect

from userops.store.engine import upgrade

TABLES = {
    "users",
    "identities",
    "identity_merges",
    "consents",
    "events",
    "traits",
    "model_fits",
    "campaigns",
    "campaign_members",
    "outbox",
    "deliveries",
    "approvals",
    "audit",
    "accounts",
    "lessons",
}


def test_schema_on_both_backends(any_engine: Engine) -> None:
    names = set(inspect(any_engine).get_table_names())
    assert TABLES <= names
    upgrade(any_engine)  # idempotent
    assert TABLES <= set(inspect(any_engine).get_table_names())
