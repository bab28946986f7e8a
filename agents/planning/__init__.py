"""Planning: the offline playbook planner, the LLM planner, drafts and revisions."""

from agents.planning.common import personas_of
from agents.planning.draft import PlanDraft
from agents.planning.llm import LLMPlanner
from agents.planning.offline import OfflinePlanner
from agents.planning.playbooks import CHANNEL_COST, PERSONAS
from agents.planning.revise import amend, is_question

__all__ = [
    "CHANNEL_COST",
    "LLMPlanner",
    "OfflinePlanner",
    "PERSONAS",
    "PlanDraft",
    "amend",
    "is_question",
    "personas_of",
]
