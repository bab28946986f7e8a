"""Tools the agents may call: typed functions whose docstrings are the LLM-facing spec."""
