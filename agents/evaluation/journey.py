"""The journey evaluator: spec validity, policy, content rules, goal fidelity, forecast.

Any planner's spec (offline or LLM) is checked before it is stored for approval:

* **spec** — :func:`userops.journeys.check.check_journey` (every problem with its path);
* **policy** — a send window with no minute outside quiet hours (error), channels nobody
  has consented to (warning), more messages per entry than the policy's daily cap or no
  per-journey limit (warning);
* **content** — the goal's channel only/never lists and content exclusions (errors);
* **goal fidelity** — every explicit item of the goal (trigger, each wait, wait for an
  event and timeout, each named channel and offer, goal event, re-entry, limit) is in the
  spec (:mod:`agents.evaluation.journey_fidelity`); clauses nothing understood and a budget
  (journeys have limits, not budgets) are reported;
* **forecast** — the 90-day backtest when :mod:`userops.journeys.forecast` is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time as dt_time
from typing import Any

from sqlalchemy import Engine

from agents.evaluation.journey_fidelity import fidelity
from agents.planning.journey.intent import JourneyIntent
from agents.schema import Finding, Verdict
from prompts.catalog import say
from tools.content import excluded_words
from tools.journeys import granted_by_channel
from userops.dispatch.policy import Policy
from userops.dispatch.window import parse_bounds, window_problem
from userops.journeys.check import check_journey
from userops.journeys.nodes import SendNode, WaitNode
from userops.journeys.spec import JourneySpec

Forecaster = Callable[..., Any]
"""``(engine, spec, *, policy, now) -> JourneyForecast``: the backtest's signature."""


def _f(check: str, severity: str, message: str, **detail: Any) -> Finding:
    return Finding.model_validate(
        {"check": check, "severity": severity, "message": message, "detail": detail}
    )


def default_forecaster() -> Forecaster | None:
    """The 90-day backtest of :mod:`userops.journeys.forecast`, when that module exists."""
    try:
        from userops.journeys import forecast
    except ImportError:
        return None
    fn = getattr(forecast, "forecast", None)
    return fn if callable(fn) else None


class JourneyEvaluator:
    """Checks a journey spec against the goal, the policy and the store."""

    def __init__(
        self,
        engine: Engine | None = None,
        policy: Policy | None = None,
        forecaster: Forecaster | None = None,
        now_ts: int | None = None,
    ) -> None:
        self.engine, self.policy = engine, policy or Policy.load()
        self.forecaster, self.now_ts = forecaster, now_ts
        self.forecast: dict[str, Any] | None = None
        """The last forecast (JSON), or None when no forecaster is installed."""

    def evaluate(self, intent: JourneyIntent, spec: JourneySpec) -> Verdict:
        """The verdict: ``block`` (refused goal), ``revise`` (errors) or ``pass``."""
        lang = intent.language
        findings: list[Finding] = []
        if intent.forbidden:
            items = "; ".join(intent.forbidden)
            findings.append(_f("forbidden", "block", say("journey.refused", lang, items=items)))
            return Verdict(verdict="block", findings=findings)
        for p in check_journey(spec):
            findings.append(_f("spec", "error", str(p), path=p.field))
        sends = [n for n in spec.nodes if isinstance(n, SendNode)]
        findings += self._policy(spec, sends, lang)
        findings += _content(intent, sends)
        findings += fidelity(intent, spec)
        if intent.not_understood:
            items = "; ".join(intent.not_understood)
            findings.append(_f("goal", "warn", say("journey.not_understood", lang, items=items)))
        if intent.budget is not None:
            findings.append(
                _f("budget", "warn", say("journey.budget", lang, budget=f"{intent.budget:g}"))
            )
        findings += self._forecast(spec, lang)
        bad = any(f.severity == "error" for f in findings)
        return Verdict(verdict="revise" if bad else "pass", findings=findings)

    def _policy(self, spec: JourneySpec, sends: list[SendNode], lang: str) -> list[Finding]:
        out: list[Finding] = []
        for n in sends:
            w = n.send_window
            if w is None or not n.marketing:
                continue
            problem = window_problem(self.policy, parse_bounds(w.start, w.end), True)
            if problem:
                msg = say("journey.window_quiet", lang, node=n.id, problem=problem)
                out.append(_f("quiet_hours", "error", msg, node=n.id))
        out += self._quiet_times(spec, lang)
        consented = self._consented()
        for n in sends:
            if consented is not None and not any(consented.get(c, 0) for c in n.channels):
                msg = say("journey.no_consent", lang, node=n.id, channels=", ".join(n.channels))
                out.append(_f("consent", "warn", msg, node=n.id))
        daily = [r.max for r in self.policy.frequency_caps.global_ if r.window_hours <= 24]
        if spec.limits.per_entry is None and spec.limits.per_user is None:
            out.append(_f("limits", "warn", say("journey.no_limit", lang)))
        if daily and len(sends) > min(daily) and spec.limits.per_entry is None:
            msg = say("journey.over_cap", lang, sends=len(sends), cap=min(daily))
            out.append(_f("limits", "warn", msg))
        return out

    def _quiet_times(self, spec: JourneySpec, lang: str) -> list[Finding]:
        """Local times of day (``until``, an anniversary's ``at``) inside quiet hours."""
        q = self.policy.quiet_hours
        if q is None or q.start == q.end:
            return []
        times = [(n.id, n.until.time) for n in spec.nodes if isinstance(n, WaitNode) and n.until]
        if spec.trigger.kind == "anniversary":
            times.append(("trigger", spec.trigger.at))
        out = []
        for where, hhmm in times:
            t = dt_time.fromisoformat(hhmm)
            inside = q.start <= t < q.end if q.start < q.end else (t >= q.start or t < q.end)
            if inside:
                end = q.end.strftime("%H:%M")
                msg = say("journey.time_quiet", lang, node=where, time=hhmm, end=end)
                out.append(_f("quiet_hours", "warn", msg, node=where))
        return out

    def _consented(self) -> dict[str, int] | None:
        """Users with a granted consent per channel (None without a store)."""
        if self.engine is None:
            return None
        return granted_by_channel(self.engine)

    def _forecast(self, spec: JourneySpec, lang: str) -> list[Finding]:
        """The backtest's numbers as an ``info`` finding (kept in :attr:`forecast`)."""
        self.forecast = None
        if self.forecaster is None or self.engine is None:
            return [_f("forecast", "info", say("journey.no_forecast", lang))]
        try:
            got = self.forecaster(self.engine, spec, policy=self.policy, now=self.now_ts)
        except Exception as exc:  # noqa: BLE001 - a failed backtest is reported, never fatal
            msg = say("journey.forecast_failed", lang, error=f"{type(exc).__name__}: {exc}"[:300])
            return [_f("forecast", "warn", msg)]
        dump: dict[str, Any] = got.model_dump(mode="json")
        self.forecast = dump
        msg = say(
            "journey.forecast", lang, entries=dump.get("entries_per_day", 0),
            per_week=dump.get("messages_per_user_week", 0), cost=dump.get("cost_per_month", 0),
            goal=dump.get("goal_rate", 0),
        )  # fmt: skip
        keep = (
            "entries_per_day", "messages_per_user_week", "cost_per_month", "goal_rate",
            "collisions",
        )  # fmt: skip
        return [_f("forecast", "info", msg, **{k: dump.get(k) for k in keep})]


def _content(intent: JourneyIntent, sends: list[SendNode]) -> list[Finding]:
    lang, out = intent.language, []
    for n in sends:
        for ch in n.channels:
            if ch in intent.channels_forbidden or (
                intent.channels_allowed and ch not in intent.channels_allowed
            ):
                msg = say("journey.channel_not_allowed", lang, node=n.id, channel=ch)
                out.append(_f("channels", "error", msg, node=n.id, channel=ch))
        for v in n.variants:
            texts = " ".join(str(x) for x in (v.subject, v.title, v.body) if x)
            texts += " " + " ".join(n.values.get(k, "") for k in ("offer",) if "{offer}" in texts)
            hit = excluded_words(texts, intent.exclusions)
            if hit:
                words = ", ".join(hit.values())
                msg = say("journey.excluded", lang, node=n.id, variant=v.variant_id, words=words)
                out.append(_f("content", "error", msg, node=n.id, variant=v.variant_id))
    return out
