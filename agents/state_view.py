"""Typed reads of the loop state: each key once, with its type and its empty value.

The checkpointed state is JSON (:class:`agents.state.LoopState`, ``total=False``): a key may
be absent, or ``None`` before the node that fills it has run. Nodes read it through
:func:`view` instead of coercing at every use (``int(state.get("revision") or 0)``)::

    v = view(state)
    approval_id = f"{v.campaign_id}-r{v.revision}-s{v.step_index}"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast


class LoopView:
    """A read-only, typed view of one state (absent or ``None`` reads as empty)."""

    __slots__ = ("_s",)

    def __init__(self, state: Mapping[str, Any]) -> None:
        self._s = state

    def _int(self, key: str) -> int:
        return int(self._s.get(key) or 0)

    def _dict(self, key: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._s.get(key) or {})

    def _list(self, key: str) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._s.get(key) or [])

    @property
    def campaign_id(self) -> str:
        """The current goal's campaign (set by intake, before any node that reads it)."""
        return str(self._s["campaign_id"])

    @property
    def step_index(self) -> int:
        """Index of the plan step being approved or dispatched (0: the main send)."""
        return self._int("step_index")

    @property
    def revision(self) -> int:
        """Revision of the current plan (0 before the first)."""
        return self._int("revision")

    @property
    def round(self) -> int:
        """Evaluate ⟲ plan rounds since the last human decision."""
        return self._int("round")

    @property
    def goal(self) -> dict[str, Any]:
        """The ``Goal`` dump (empty before intake)."""
        return self._dict("goal")

    @property
    def language(self) -> str | None:
        """The goal's language (None before intake)."""
        lang = self.goal.get("language")
        return None if lang is None else str(lang)

    @property
    def plan(self) -> dict[str, Any]:
        """The current ``CampaignPlan`` dump (empty before the first plan)."""
        return self._dict("plan")

    @property
    def verdict(self) -> dict[str, Any]:
        """The last ``Verdict`` dump (empty before the first evaluation)."""
        return self._dict("verdict")

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The last verdict's findings."""
        return list(self.verdict.get("findings") or [])

    @property
    def approval_id(self) -> str:
        """The approval the gate waits on (set by prepare_approval, before the gate)."""
        return str(self._s["approval_id"])

    @property
    def card(self) -> dict[str, Any]:
        """The approval card shown at the gate (empty before the first)."""
        return self._dict("card")

    @property
    def feedback(self) -> list[dict[str, Any]]:
        """Findings sent to the planner for the next revision."""
        return self._list("feedback")

    @property
    def escalated(self) -> bool:
        """The evaluator still asked for changes after the last round."""
        return bool(self._s.get("escalated"))

    @property
    def approvals(self) -> list[dict[str, Any]]:
        """Decisions taken in this thread, oldest first."""
        return self._list("approvals")

    @property
    def resume(self) -> dict[str, Any]:
        """The resume value the gate received (empty when none is pending)."""
        return self._dict("resume")

    @property
    def dispatch(self) -> dict[str, Any]:
        """Dispatch totals so far (empty before the first dispatch)."""
        return self._dict("dispatch")

    @property
    def kpi(self) -> dict[str, Any]:
        """The main step's measured KPI (empty before measuring)."""
        return self._dict("kpi")

    @property
    def followup_results(self) -> list[dict[str, Any]]:
        """KPI of each follow-up step measured so far."""
        return self._list("followup_results")

    def blast_share(self, default: float) -> float:
        """Share of treatment in the baseline arm, fixed when the goal began (else ``default``)."""
        return float(self._s.get("blast_share", default) or 0.0)


def view(state: Mapping[str, Any]) -> LoopView:
    """Return the typed view of ``state``."""
    return LoopView(state)
