"""`userops journeys`: Always-on journeys: create, approve, list, show, pause, resume, stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from userops.cli.approvals import AsOpt, actor_name
from userops.cli.common import JsonOpt, console, fail, print_json, store, user_errors

app = typer.Typer(
    help="Always-on journeys (docs/journeys.md): each version needs an approval.",
    no_args_is_help=True,
)
MAX_SPEC_BYTES = 1_048_576
VersionOpt = typer.Option(None, "--version", help="Version (default: the newest awaiting one).")


def _read(path: Path) -> Any:
    from userops.journeys.parse import parse_journey

    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    if len(raw) > MAX_SPEC_BYTES:
        fail(f"{path}: larger than {MAX_SPEC_BYTES} bytes")
    try:
        data = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 (byte {exc.start})")
    return parse_journey(data, source=str(path))


def _done(result: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        print_json(result)
    else:
        console.print(line, markup=False, highlight=False)


def _headline(spec: Any, journey_id: str) -> None:
    """The new version's forecast, for whoever asks for the approval."""
    from userops.cli.journeys_view import print_forecast
    from userops.journeys.forecast import forecast
    from userops.journeys.forecast_util import finding_text

    fc = forecast(store(), spec, journey_id=journey_id)
    got = fc.model_dump(mode="json")
    got["findings_text"] = [finding_text(f, None) for f in fc.findings]
    print_forecast(got)


@app.command("check")
def check(spec_file: Path, as_json: bool = JsonOpt) -> None:
    """Validate a journey spec without storing it (problems name their JSON path)."""
    from userops.journeys.check import describe

    with user_errors():
        spec = _read(spec_file)
    _done({"valid": True, **describe(spec)}, as_json, f"{spec_file}: valid")


@app.command("create")
def create(spec_file: Path, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Store a new journey; its version 1 waits for an approver."""
    from userops.journeys.records import create_journey

    with user_errors():
        spec = _read(spec_file)
        res = create_journey(store(), spec, actor=actor_name(as_))
    _done(res, as_json, f"journey {res['id']} version 1 awaits approval")
    if not as_json:
        _headline(spec, str(res["id"]))


@app.command("edit")
def edit(journey_id: str, spec_file: Path, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Store a new version of a journey; it waits for an approver (the live one runs on)."""
    from userops.journeys.records import edit_journey

    with user_errors():
        spec = _read(spec_file)
        res = edit_journey(store(), journey_id, spec, actor=actor_name(as_))
    _done(res, as_json, f"journey {journey_id} version {res['version']} awaits approval")
    if not as_json:
        _headline(spec, journey_id)


@app.command("approve")
def approve(
    journey_id: str,
    version: int | None = VersionOpt,
    comment: str | None = typer.Option(None, "--comment", help="Note kept with the decision."),
    as_: str = AsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Approve a version: it goes live (never by its author)."""
    from userops.journeys.records import approve as approve_version
    from userops.text_limits import check_text

    with user_errors():
        check_text(comment or "", "--comment")
        res = approve_version(
            store(), journey_id, actor=actor_name(as_), version=version, comment=comment
        )
    _done(res, as_json, f"journey {journey_id} version {res['version']} approved ({res['state']})")


@app.command("reject")
def reject(
    journey_id: str,
    reason: str = typer.Option(..., "--reason", help="Why."),
    version: int | None = VersionOpt,
    as_: str = AsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Reject a version awaiting approval."""
    from userops.journeys.records import reject as reject_version
    from userops.text_limits import check_text

    with user_errors():
        check_text(reason, "--reason")
        res = reject_version(
            store(), journey_id, actor=actor_name(as_), reason=reason, version=version
        )
    _done(res, as_json, f"journey {journey_id} version {res['version']} rejected")


def _control(journey_id: str, action: str, as_: str | None, as_json: bool) -> None:
    from userops.journeys.control import set_state

    with user_errors():
        res = set_state(store(), journey_id, action, actor=actor_name(as_))
    _done(res, as_json, f"journey {journey_id} is {res['state']}")


@app.command("pause")
def pause(journey_id: str, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Pause a journey: nobody enters or moves, its queued messages are held."""
    _control(journey_id, "pause", as_, as_json)


@app.command("resume")
def resume(journey_id: str, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Resume a paused journey."""
    _control(journey_id, "resume", as_, as_json)


@app.command("stop")
def stop(journey_id: str, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Stop a journey for good: members exit, queued messages are suppressed."""
    _control(journey_id, "stop", as_, as_json)


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List journeys: state, live and newest version, active members."""
    from rich.table import Table

    from userops.journeys.views import list_journeys

    with user_errors():
        rows = list_journeys(store())
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "state", "live", "newest", "active", "created by")
    for r in rows:
        newest = f"v{r['latest_version']} {r['latest_status']}"
        live = f"v{r['live_version']}" if r["live_version"] else "-"
        table.add_row(
            r["id"], r["name"], r["state"], live, newest, str(r["active_members"]), r["created_by"]
        )
    console.print(table)


LangOpt = typer.Option(None, "--lang", help="Language of the card's text (zh or en).")


@app.command("forecast")
def forecast_cmd(
    journey_id: str,
    version: int | None = typer.Option(None, "--version", help="Version (default: newest)."),
    days: int = typer.Option(90, "--days", min=1, max=3650, help="Days of history to replay."),
    mermaid_: bool = typer.Option(False, "--mermaid", help="Print the graph as Mermaid."),
    lang: str | None = LangOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Backtest a version over the store's last DAYS days: entries, messages, cost, collisions."""
    from userops.cli.journeys_view import print_forecast
    from userops.journeys.forecast import forecast
    from userops.journeys.forecast_util import finding_text
    from userops.journeys.graph import mermaid, text_graph
    from userops.journeys.records import version_spec

    with user_errors():
        spec = version_spec(store(), journey_id, version)
        fc = forecast(store(), spec, days=days, journey_id=journey_id)
        got = fc.model_dump(mode="json")
        got["findings_text"] = [finding_text(f, lang) for f in fc.findings]
    if as_json:
        print_json(got)
        return
    print_forecast(got)
    for line in mermaid(fc.graph).splitlines() if mermaid_ else text_graph(fc.graph):
        console.print(line, markup=False, highlight=False)


@app.command("show")
def show(journey_id: str, lang: str | None = LangOpt, as_json: bool = JsonOpt) -> None:
    """Show a journey: versions, decisions, the card (forecast, graph), counts, measurement."""
    from userops.cli.journeys_view import print_version
    from userops.journeys.views import show_journey

    with user_errors():
        got = show_journey(store(), journey_id, lang=lang)
    if as_json:
        print_json(got)
        return
    console.print(f"{got['id']}  {got['name']}  state: {got['state']}", markup=False)
    for v in got["versions"]:
        who = f"  by {v['approved_by']}" if v["approved_by"] else ""
        console.print(f"v{v['version']}: {v['status']}{who}", markup=False, highlight=False)
        print_version(v)


@app.command("propose")
def propose(goal: str, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Let the agent design a journey for GOAL; its version 1 waits for an approver.

    The planner (the LLM planner when a model is configured) and the evaluator run; nothing
    is sent. ``--json`` prints ``journey_id``, ``version``, ``approval_id``, ``status`` and the
    findings. A question or a refusal stores nothing (exit 0 with the question, 1 refused).
    """
    from agents.planning.journey.wiring import propose as propose_journey

    with user_errors():
        res = propose_journey(store(), goal, actor=actor_name(as_))
    if as_json:
        print_json(res)
    else:
        _say_proposal(res)
    if res["status"] in ("refused", "blocked"):
        raise typer.Exit(1)


def _say_proposal(res: dict[str, Any]) -> None:
    out = [res.get("message") or ""] if res["status"] != "needs_clarification" else []
    out += [f"? {q}" for q in res["questions"]]
    out += [f"- {a}" for a in res["assumed"]]
    out += [f"[{f['check']}/{f['severity']}] {f['message']}" for f in res["findings"]]
    for line in out:
        if line:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
