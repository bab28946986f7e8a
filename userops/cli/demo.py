"""`userops demo`: Run a goal through the whole loop offline and print a report."""

from __future__ import annotations

from typing import Any

import typer

from userops.cli.common import JsonOpt, console, err_console, print_json, store, user_errors

app = typer.Typer(help="Run a goal through the whole loop offline and print a report.")

DEMO_OPERATOR = "demo-operator"
DEMO_APPROVER = "demo-approver"
DEMO_USERS = 50_000
"""Population the demo seeds into an empty store (about 15,000 lapsed buyers)."""
GOALS = {
    "zh": "最近60天没下单的用户有流失风险，做一次召回，预算5000元，晚上不要打扰。",
    "en": "Customers who have not ordered in 60 days are at risk of churning: win them back, "
    "budget 5,000, no messages at night.",
}
"""Default goals: the README's win-back goal without "high-value", measured by conversion (the
parser's default KPI: orders within the window, so the holdout's organic orders count and
the uplift is real). High-value lapsed buyers are about 1.4% of the population (about 700
at 50,000 users): too few for the arms to separate within the demo's time budget."""
DEMO_NOW = {"zh": "2026-11-02T02:00:00+00:00", "en": "2026-11-02T15:00:00+00:00"}
"""The demo's default clock: the day after the seeded history ends (``DEFAULT_AS_OF``), at
10:00 in the population's main time zone (Shanghai, New York), inside the goal's send window,
so two runs on fresh stores give identical figures whenever they are run."""
BLAST_SHARE = 0.5
"""Share of the treated audience sent one-size-fits-all content (the measured baseline)."""


def ensure_population(engine: Any, users: int, seed: int, language: str, quiet: bool) -> bool:
    """Seed a population and build profiles when the store has no users; return True if so.

    The demo simulates responses and moves the dispatch clock: on a store that holds users
    and is not marked simulated (a real one) it refuses before anything is written.

    Raises:
        PolicyRefused: the store holds users and is not marked simulated.
    """
    from userops.cdp.sample.population import has_users, seed_population
    from userops.store.meta import is_simulated

    if has_users(engine):
        if not is_simulated(engine):
            from userops.errors import PolicyRefused
            from userops.store.check import describe

            raise PolicyRefused(
                f"store {describe(engine)} holds users and was not made by seed, demo or"
                " eval: the demo simulates responses and runs only on such a store (point"
                " USEROPS_HOME at an empty directory)",
                reason="not_simulated",
            )
        return False
    from userops.cdp.traits.build import build_profiles

    if not quiet:
        err_console.print(f"seeding {users} users ({language}) ...")
    seed_population(engine, users=users, seed=seed, language=language)
    if not quiet:
        err_console.print("building profiles ...")
    build_profiles(engine)
    return True


def ensure_demo_accounts(engine: Any) -> None:
    """With accounts in use, make sure the demo's operator and approver exist."""
    from userops.accounts import add_user, find_user, has_accounts

    if not has_accounts(engine):
        return
    for name, role in ((DEMO_OPERATOR, "operator"), (DEMO_APPROVER, "approver")):
        if find_user(engine, name) is None:
            add_user(engine, name, role)


def demo_thread_id(engine: Any, language: str, seed: int) -> str:
    """A reproducible thread id: the n-th demo run on a store gets the same id everywhere."""
    from userops.campaigns import count_created_by

    return f"demo-{language}-{seed}-{count_created_by(engine, DEMO_OPERATOR) + 1}"


def demo_clock(value: str | None, language: str) -> int | None:
    """Return the demo's clock (epoch seconds) from ``--now``; None for ``now`` (real time).

    Raises:
        BadInput: ``value`` is not ``now`` nor an ISO timestamp with a time zone.
    """
    from datetime import datetime

    from userops.errors import BadInput

    raw = value or DEMO_NOW[language]
    if raw == "now":
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadInput.one("not an ISO timestamp (or 'now')", field="--now", value=raw) from exc
    if when.tzinfo is None:
        raise BadInput.one("needs a time zone, e.g. +00:00", field="--now", value=raw)
    return int(when.timestamp())


def _progress(quiet: bool) -> Any:
    def on_update(node: str, update: dict[str, Any]) -> None:
        if quiet:
            return
        for m in update.get("messages") or []:
            err_console.print(f"[{node}] {getattr(m, 'content', m)}", markup=False)
        if not update.get("messages"):
            err_console.print(f"[{node}]", markup=False)

    return on_update


@app.command("demo")
def demo(
    yes: bool = typer.Option(False, "--yes", help="Approve as the demo approver and finish."),
    as_json: bool = JsonOpt,
    users: int = typer.Option(
        DEMO_USERS, "--users", help="Population to seed if the store is empty."
    ),
    language: str = typer.Option(None, "--language", help="zh or en (default: settings)."),
    goal: str = typer.Option(None, "--goal", help="The operator's goal (default: a win-back)."),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated population."),
    now: str = typer.Option(
        None,
        "--now",
        help="The loop's clock, ISO with a time zone, or 'now' for real time (default: a fixed "
        "instant after the seeded history, so runs are reproducible).",
    ),
) -> None:
    """Seed if empty, run a goal through plan → evaluate → approval → dispatch → measure."""
    from agents.nodes.report import build_report
    from agents.runtime.threads import open_runtime
    from userops.cli.loop_view import print_card, print_report
    from userops.settings import get_settings
    from userops.text_limits import check_text

    lang = language or get_settings().language
    if lang not in GOALS:
        from userops.errors import BadInput

        with user_errors():
            raise BadInput.one("must be zh or en", field="--language", value=lang)
    with user_errors():
        if goal is not None:
            check_text(goal, "--goal")
        now_ts = demo_clock(now, lang)
        engine = store()
        ensure_population(engine, users, seed, lang, as_json)
        ensure_demo_accounts(engine)
        with open_runtime(engine=engine, blast_share=BLAST_SHARE, now_ts=now_ts) as rt:
            res = rt.start(
                goal or GOALS[lang],
                thread_id=demo_thread_id(engine, lang, seed),
                actor=DEMO_OPERATOR,
                on_update=_progress(as_json),
            )
            if res.interrupt is not None and not as_json:
                print_card(console, res.interrupt["action_requests"][0]["args"])
            for _ in range(4):
                if not yes or res.status != "awaiting_approval":
                    break
                res = rt.resume(
                    res.thread_id,
                    {"type": "approve", "message": "demo --yes"},
                    actor=DEMO_APPROVER,
                    on_update=_progress(as_json),
                )
            report = build_report(
                engine, res.thread_id, res.values, status=res.status, llm_calls=rt.llm_calls()
            )
    if as_json:
        print_json(report)
        return
    if res.status == "awaiting_approval":
        console.print(
            f"waiting at the gate: userops approvals approve {res.approval_id} "
            f"--as <approver>  (or: userops approvals show {res.approval_id})",
            markup=False,
        )
        return
    print_report(console, report)
