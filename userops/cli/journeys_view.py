"""How `userops journeys show` and `forecast` print a version: forecast, graph, counts, card."""

from __future__ import annotations

from typing import Any

from userops.cli.common import console
from userops.journeys.graph import text_graph


def _out(line: str) -> None:
    console.print(line, markup=False, highlight=False)


def print_forecast(fc: dict[str, Any]) -> None:
    """The forecast's headline figures and findings."""
    col = fc["collisions"]
    _out(f"forecast over {fc['days']} days ({fc['since'][:10]} to {fc['until'][:10]}):")
    _out(
        f"  entries {fc['entries']} ({fc['entries_per_day']}/day, busiest day"
        f" {fc['entries_max_day']}); goal exits {fc['goal_exits']} ({fc['goal_rate']:.1%})"
    )
    _out(
        f"  messages {fc['messages']} to {fc['recipients']} users:"
        f" {fc['messages_per_user_week']}/user/week,"
        f" at most {fc['max_messages_user_7d']} in 7 days"
    )
    _out(f"  cost {fc['cost_total']:.2f} ({fc['cost_per_month']:.2f}/month)")
    _out(
        f"  collisions: frequency cap {col['frequency_cap']}, quiet hours {col['quiet_hours']},"
        f" send window {col['send_window']}, other journeys {col['other_journeys']}"
    )
    for t in fc.get("findings_text") or []:
        _out(f"  ! {t}")


def _split_line(node_id: str, m: dict[str, Any]) -> str:
    arms = ", ".join(f"{a['arm']} {a['successes']}/{a['n']}" for a in m["arms"])
    held = m["holdout"]
    line = f"  split {node_id} (goal/members): {arms}; holdout"
    line += f" {held['successes']}/{held['n']}"
    up = m.get("uplift")
    if up:
        lo, hi = up["ci"]
        line += f"; uplift {up['uplift']:+.2%} (95% CI {lo:+.2%} to {hi:+.2%})"
    if m.get("winner"):
        line += f"; winner {m['winner']}"
    return line


def print_version(v: dict[str, Any]) -> None:
    """One version of `journeys show`: forecast, graph, per-node counts, splits, card."""
    if v.get("forecast"):
        print_forecast(v["forecast"])
    for line in text_graph(v["graph"]) if v.get("graph") else []:
        _out("  " + line)
    for node_id, c in (v.get("nodes") or {}).items():
        parts = [f"{k} {c[k]}" for k in ("entered", "waiting", "sent", "deferred") if c[k]]
        parts += [f"{k}:{r} {n}" for k in ("suppressed", "exited") for r, n in c[k].items()]
        if c.get("converted"):
            parts.append(f"converted {c['converted']}")
        _out(f"  {node_id} ({c['kind']}): " + ", ".join(parts))
    for node_id, m in ((v.get("measurement") or {}).get("splits") or {}).items():
        _out(_split_line(node_id, m))
    card = v.get("card") or {}
    for line in [card.get("in_flight", "")] + list(card.get("splits") or []):
        _out(f"  * {line}")
