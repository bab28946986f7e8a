"""`userops profiles show USER_ID`: one profile's traits, as a table or JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from userops.cli.common import JsonOpt, console, print_json, store, user_errors
from userops.errors import BadInput, NotFound

MAX_ID = 128
"""Longest USER_ID accepted (``users.external_id`` is at most 128 characters)."""


def load_profile(engine: Any, user: str) -> dict[str, Any]:
    """The traits of the canonical user of record ``user`` (an id, else an external id).

    Raises:
        BadInput: no record has that id or external id.
        NotFound: the user has no trait row yet (no build or update has run for them).
    """
    from sqlalchemy import or_, select

    from userops.cdp.traits.write import TRAIT_COLUMNS
    from userops.store.models import Trait, User

    if not user or len(user) > MAX_ID:
        raise BadInput.one(f"must be 1 to {MAX_ID} characters", field="USER_ID", value=user[:40])
    match = User.external_id == user
    if user.isascii() and user.isdigit() and len(user) <= 18:
        match = or_(User.id == int(user), match)
    cols = [getattr(Trait, c) for c in TRAIT_COLUMNS]
    with engine.connect() as conn:
        records = conn.execute(
            select(User.id, User.external_id, User.merged_into).where(match).order_by(User.id)
        ).all()
        if not records:
            reason = "no user record has this id or external id"
            raise BadInput.one(reason, field="USER_ID", value=user)
        rid, external, merged = next(
            (r for r in records if str(r.id) == user), records[0]
        )  # an id wins over an equal external id
        canon = merged if merged is not None else rid
        row = conn.execute(select(*cols).where(Trait.user_id == canon)).first()
        canon_external = conn.execute(select(User.external_id).where(User.id == canon)).scalar()
    if row is None:
        raise NotFound(f"user {canon} has no profile yet: run `userops profiles build`")
    traits = dict(zip(TRAIT_COLUMNS, row, strict=True))
    as_of = datetime.fromtimestamp(int(traits["as_of_ts"]) - 1, UTC).date().isoformat()
    return {
        "user_id": canon,
        "external_id": canon_external,
        "record_id": rid,
        "record_external_id": external,
        "merged": merged is not None,
        "as_of": as_of,
        "traits": {k: v for k, v in traits.items() if k != "user_id"},
    }


def _table(profile: dict[str, Any]) -> Table:
    title = f"user {profile['user_id']} ({profile['external_id']}) as of {profile['as_of']}"
    if profile["merged"]:
        title += f"; record {profile['record_id']} is merged into it"
    table = Table(title=Text(title))  # Text: ids and values are data, never markup
    table.add_column("trait")
    table.add_column("value")
    for key, value in profile["traits"].items():
        shown = "—" if value is None or value == "" else str(value)
        table.add_row(key, Text(shown))
    return table


def show(
    user_id: str = typer.Argument(..., help="A user record id, or its external id."),
    json: bool = JsonOpt,
) -> None:
    """Print one profile's traits (of the canonical user, for a merged record)."""
    with user_errors():
        profile = load_profile(store(), user_id)
        if json:
            print_json(profile)
        else:
            console.print(_table(profile))
