"""Write ``report.json`` and ``report.html`` (tables and inline SVG charts, no scripts)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from evals.report_svg import bar_chart, histogram

CSS = (
    "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
    "margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;"
    "text-align:left}th{background:#f3f3f3}.ok{color:#1a7f37}.bad{color:#c62828}"
    ".charts{display:flex;flex-wrap:wrap;gap:24px}h2{margin-top:28px}"
)


def write_report(report: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write the JSON and HTML reports into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    js = directory / "report.json"
    js.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    html = directory / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    return js, html


def _table(head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{c if isinstance(c, Markup) else escape(str(c))}</td>" for c in r)
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


class Markup(str):
    """Trusted HTML (not escaped in tables)."""


def _mark(ok: bool) -> Markup:
    return Markup('<span class="ok">pass</span>' if ok else '<span class="bad">FAIL</span>')


def _failures_chart(scenarios: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for x in scenarios:
        for c in x["checks"]:
            if not c["passed"]:
                counts[c["name"]] = counts.get(c["name"], 0) + 1
    top = max(counts.values(), default=1)
    items = [(k, float(v), str(v)) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
    return bar_chart(
        "Failed checks by name (scenarios)",
        items or [("none", 0.0, "0")],
        scale=float(top),
        fill="#c62828",
    )


def render_html(report: dict[str, Any]) -> str:
    """The HTML report: summary, charts, failures, per-scenario table."""
    s = report["summary"]
    by = report["by"]
    sc = report["scenarios"]
    charts = [
        bar_chart(
            "Pass rate by objective",
            [
                (k, v["pass_rate"], f"{v['passed']}/{v['scenarios']}")
                for k, v in sorted(by["objective"].items())
            ],
        ),
        bar_chart(
            "Pass rate by language",
            [
                (k, v["pass_rate"], f"{v['passed']}/{v['scenarios']}")
                for k, v in sorted(by["language"].items())
            ],
        ),
        _failures_chart(sc),
        histogram("Latency per scenario (s)", [float(x["latency_s"]) for x in sc]),
        bar_chart(
            "Cost of sent messages per scenario",
            [(x["id"][:22], float(x["cost"]), f"{x['cost']:.1f}") for x in sc if x["cost"]],
            scale=max([float(x["cost"]) for x in sc] + [1.0]),
            fill="#1565c0",
        ),
    ]
    summary_rows = [[k, v] for k, v in s.items()]
    failures = [
        [x["id"], x["objective"], x["language"], "; ".join(x["failed"])]
        for x in sc
        if not x["passed"]
    ]
    rows = [
        [
            x["id"],
            x["objective"],
            x["language"],
            _mark(x["passed"]),
            x["sent"],
            x["cost"],
            x["latency_s"],
            " > ".join(x["statuses"]),
        ]
        for x in sc
    ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>userops eval report</title>",
        f"<style>{CSS}</style></head><body><h1>userops eval report</h1>",
        f"<p>{s['passed']}/{s['scenarios']} scenarios passed ({s['pass_rate']:.0%}); "
        f"policy violations {s['policy_violations']}; sends before approval "
        f"{s['sends_before_approval']}.</p>",
        "<h2>Summary</h2>",
        _table(["metric", "value"], summary_rows),
        "<h2>Charts</h2><div class='charts'>",
        *charts,
        "</div><h2>Failures</h2>",
        _table(["scenario", "objective", "language", "failed checks"], failures)
        if failures
        else "<p>none</p>",
        "<h2>Scenarios</h2>",
        _table(
            ["scenario", "objective", "lang", "result", "sent", "cost", "latency s", "turns"], rows
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
