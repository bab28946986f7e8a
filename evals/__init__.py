"""Eval suite: scenario sets, graders, the runner and its report."""
