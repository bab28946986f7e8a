"""Campaign ids of the loop's goals; the rows are written by :mod:`userops.campaigns`."""

from __future__ import annotations

import hashlib

from userops.campaigns import open_campaign as ensure_campaign
from userops.campaigns import set_campaign

__all__ = ["campaign_id_for", "ensure_campaign", "set_campaign"]


def campaign_id_for(thread_id: str, goal_no: int) -> str:
    """Return the stable campaign id of the ``goal_no``-th goal of a thread."""
    return "c-" + hashlib.sha256(f"{thread_id}:{goal_no}".encode()).hexdigest()[:12]
