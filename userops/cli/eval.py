"""`userops eval`: run the eval suite, write report.json + report.html, gate on hard rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, err_console, fail, print_json, user_errors

app = typer.Typer(help="Run the scenario eval suite.")

DEFAULT_SUITE = Path(__file__).resolve().parents[2] / "evals" / "scenarios"


def _progress(quiet: bool) -> Any:
    def show(res: dict[str, Any]) -> None:
        if quiet:
            return
        mark = "pass" if res["passed"] else "FAIL"
        extra = f"  {'; '.join(res['failed'])[:160]}" if res["failed"] else ""
        err_console.print(
            f"{mark} {res['id']} ({res.get('latency_s', 0):.1f}s){extra}", markup=False
        )

    return show


@app.command("eval")
def eval_cmd(
    suite: Path = typer.Argument(DEFAULT_SUITE, help="Scenario directory or one YAML file."),
    planner: str = typer.Option("offline", "--planner", help="offline or llm."),
    repeat: int = typer.Option(1, "--repeat", min=1, help="Runs per scenario (pass^k)."),
    report: Path = typer.Option(None, "--report", help="Directory for report.json/.html."),
    jobs: int = typer.Option(2, "--jobs", min=1, help="Scenarios run in parallel."),
    baseline: Path = typer.Option(
        None, "--baseline", help="Fail on scenarios that passed in this baseline and fail now."
    ),
    write_baseline: Path = typer.Option(
        None, "--write-baseline", help="Write this run's pass/fail as a baseline file."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Run every scenario (own store each) and grade the store; exit 1 on a hard-rule failure."""
    import json
    import tempfile

    from evals.baseline import baseline_of, load_baseline, regressions
    from evals.report import write_report
    from evals.runner import must_pass_failures, run_suite
    from userops.errors import BadInput
    from userops.settings import get_settings

    with user_errors():
        if planner not in ("offline", "llm"):
            raise BadInput.one("must be offline or llm", field="--planner", value=planner)
        if planner == "llm" and not get_settings().llm_configured:
            raise BadInput.one(
                "no model configured (set USEROPS_LLM_MODEL)", field="--planner", value=planner
            )
        out_dir = report or Path(tempfile.mkdtemp(prefix="userops-eval-"))
        rep = run_suite(
            suite,
            out_dir / "work",
            planner=planner,
            repeat=repeat,
            jobs=jobs,
            progress=_progress(as_json),
        )
        js, html = write_report(rep, out_dir)
        if write_baseline is not None:
            write_baseline.write_text(
                json.dumps(baseline_of(rep), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
    regress = regressions(rep, load_baseline(baseline)) if baseline is not None else []
    hard = must_pass_failures(rep)
    if as_json:
        print_json(
            {
                "summary": rep["summary"],
                "by": rep["by"],
                "report": str(js),
                "regressions": regress,
                "must_pass_failures": hard,
            }
        )
    else:
        s = rep["summary"]
        console.print(
            f"{s['passed']}/{s['scenarios']} passed ({s['pass_rate']:.0%}),"
            f" pass^k {s['pass_k']:.0%}, policy violations {s['policy_violations']},"
            f" sends before approval"
            f" {s['sends_before_approval']}, wall {s['wall_s']}s; report: {html}",
            markup=False,
        )
    if hard:
        fail("must-pass checks failed:\n" + "\n".join(hard))
    if regress:
        fail("regressions against the baseline:\n" + "\n".join(regress))
