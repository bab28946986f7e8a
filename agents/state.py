"""State of the campaign loop graph (JSON-ready values so any checkpointer can store them)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


class LoopState(TypedDict, total=False):
    """Everything the loop carries between nodes; models are stored as their JSON dumps.

    The input is :class:`LoopInput`; every other key is filled by the nodes, and nodes read
    them through :class:`agents.state_view.LoopView` (typed, absent read as empty).
    """

    messages: Annotated[list[AnyMessage], add_messages]
    """Chat with the operator (goal in, questions and progress out)."""
    goal_text: str
    """The goal in the operator's words (clarification answers appended)."""
    goal: dict[str, Any] | None
    """``Goal`` dump."""
    requested_by: str
    """Who stated the goal (may not approve it unless the policy says so)."""
    owner: str
    """Who started the thread (set once; operators read and act only on their own)."""
    campaign_id: str | None
    """Campaign row of the current goal."""
    plan: dict[str, Any] | None
    """Current ``CampaignPlan`` dump."""
    revision: int
    """Revision number of ``plan`` (monotonic within the campaign)."""
    verdict: dict[str, Any] | None
    """Last ``Verdict`` dump."""
    round: int
    """Evaluate ⟲ plan rounds since the last human decision."""
    feedback: list[dict[str, Any]]
    """Findings (``Finding`` dumps) sent to the planner for the next revision."""
    revision_request: dict[str, Any] | None
    """An approver's reason being addressed (reason, who, what was understood), shown on
    the next card with what changed since the rejected revision."""
    escalated: bool
    """The evaluator still asks for changes after the last round (approver decides)."""
    blast_share: float
    """Share of treatment in the one-size-fits-all baseline arm (fixed when the goal starts)."""
    step_index: int
    """Index of the plan step being approved / dispatched (0 = main send)."""
    approval_id: str | None
    """Approval request the gate waits on."""
    card: dict[str, Any] | None
    """The approval card shown at the gate."""
    audience_size: int
    """Audience of the main step (treatment + holdout) as shown on its card."""
    shown_plan: dict[str, Any] | None
    """Plan shown at the previous gate (for the diff)."""
    resume: dict[str, Any] | None
    """The resume value the gate received (``{"decisions": [...]}``)."""
    edited_by: str | None
    """Who last edited the plan (an approver's edit decision); may never approve it. A
    planner revision that keeps that edit (``approver_edits``) keeps it too."""
    approver_edits: dict[str, Any] | None
    """What approvers' edits set (budget, per step holdout, limit, channels, copy), kept by
    every later planner revision unless a reason asks to change it
    (:mod:`agents.planning.edits`)."""
    decision_error: str | None
    """Why the last decision could not be recorded (the thread waits at the gate again)."""
    approvals: list[dict[str, Any]]
    """Decisions taken in this thread (id, status, actor)."""
    dispatch: dict[str, Any] | None
    """Dispatch totals: sent, deferred, suppressed by reason, cost."""
    kpi: dict[str, Any] | None
    """Treatment vs holdout KPI with CI."""
    baseline: dict[str, Any] | None
    """One-size-fits-all blast arm vs the same holdout."""
    followup_results: list[dict[str, Any]]
    """KPI of each follow-up step (the main step's stays in ``kpi``)."""
    lessons: list[str]
    """Lessons written at the end."""
    journey: dict[str, Any] | None
    """The journey proposed for an always-on goal (``journey_id``, ``version``,
    ``approval_id``, ``status``, findings; :mod:`agents.nodes.journey`)."""
    status: str
    """``planning``, ``needs_clarification``, ``awaiting_approval``, ``dispatched``,
    ``completed``, ``blocked``, ``refused``, ``journey_proposed``."""


class LoopInput(TypedDict, total=False):
    """What a run takes (the graph's input schema): a message and the thread's owner.

    LangGraph's chat convention ``{"messages": [...]}``; ``owner`` is who started the thread
    (kept once set).
    """

    messages: Annotated[list[AnyMessage], add_messages]
    """The operator's new message (the newest human message is the goal or the answer)."""
    owner: str
    """Who started the thread (:mod:`userops.threads.access`)."""


def initial_fields() -> dict[str, Any]:
    """Return the per-goal fields reset when a new goal starts on a thread."""
    return {
        "plan": None,
        "revision": 0,
        "verdict": None,
        "round": 0,
        "escalated": False,
        "feedback": [],
        "revision_request": None,
        "step_index": 0,
        "approval_id": None,
        "card": None,
        "shown_plan": None,
        "resume": None,
        "edited_by": None,
        "approver_edits": None,
        "decision_error": None,
        "approvals": [],
        "dispatch": None,
        "kpi": None,
        "baseline": None,
        "followup_results": [],
        "lessons": [],
        "journey": None,
    }
