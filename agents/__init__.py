"""The LangGraph agent graph: state, planner, evaluator, approval gate, nodes, providers."""
