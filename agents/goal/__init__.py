"""Goal understanding: the operator's words to a typed Goal (zh and en), or questions."""

from agents.goal.numbers import AMOUNT, DUR, amount, normalize, to_days
from agents.goal.parser import clarifying_question, describe_goal, parse_goal
from agents.goal.quote import with_quotes
from agents.goal.text import explain_goal, objective_name
from agents.goal.window import find_window, goal_window

__all__ = [
    "AMOUNT",
    "DUR",
    "amount",
    "clarifying_question",
    "describe_goal",
    "explain_goal",
    "find_window",
    "goal_window",
    "normalize",
    "objective_name",
    "parse_goal",
    "to_days",
    "with_quotes",
]
