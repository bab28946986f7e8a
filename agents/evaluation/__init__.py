"""Evaluation: checks of a plan against policy and the goal; the LLM judge."""

from agents.evaluation.checks import TAG, check_timing, finding, msg, texts_of
from agents.evaluation.evaluator import PlanEvaluator
from agents.evaluation.judge import LLMJudge

__all__ = [
    "LLMJudge",
    "PlanEvaluator",
    "TAG",
    "check_timing",
    "finding",
    "msg",
    "texts_of",
]
