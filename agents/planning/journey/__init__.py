"""Journeys designed by the agent: the goal read into a JourneySpec, checked, proposed.

* :mod:`.reader` — the goal's words (zh/en) → :class:`.intent.JourneyIntent`;
* :mod:`.book` and ``playbooks.yaml`` — lifecycle playbooks and content themes, as data;
* :mod:`.build` and :mod:`.offline` — the deterministic planner;
* :mod:`.llm` — the LLM planner (structured output of the same ``JourneySpec``);
* :mod:`.propose` — plan, evaluate (:mod:`agents.evaluation.journey`), store a version
  awaiting approval.
"""
