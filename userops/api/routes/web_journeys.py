"""A journey version's card: its spec as a graph, counts when live, approve or reject.

Journey versions are approved on their own (``userops journeys approve``): the same
functions decide here, with the same rules (an approver or admin, never the author).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo
from userops.api.deps import APPROVER_ROLES, Services
from userops.api.web import pick_language, render, translator
from userops.api.web.errors import HANDLED, error_page, explain
from userops.api.web.session import check_csrf, read_form, web_user
from userops.api.web_data.charts import bar_chart
from userops.api.web_data.journey_graph import svg
from userops.errors import BadInput, NotFound
from userops.journeys.records import approve, reject, version_spec
from userops.journeys.views import show_journey

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
JOURNEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
KINDS = ("send", "wait", "wait_for_event", "branch", "split", "exit")
EDGES = ("happened", "timed_out", "otherwise", "cases", "arms")


def _version(jid: str, version: str) -> int:
    """The version number of a well-formed journey id and version (checked after sign-in)."""
    if not JOURNEY_ID.fullmatch(jid) or not version.isdigit() or len(version) > 6:
        raise NotFound(f"no journey {jid[:40]!r} version {version[:10]!r}")
    return int(version)


def _show(services: Services, jid: str, lang: str) -> tuple[dict[str, Any], str | None]:
    """The journey with its forecast; when the backtest fails, without it and why."""
    try:
        return show_journey(services.engine, jid, lang=lang), None
    except HANDLED:
        raise
    except Exception as exc:  # the backtest's failure must not hide the version to decide
        log.exception("journey %s: forecast failed", jid)
        out = show_journey(services.engine, jid, lang=lang, with_forecast=False)
        return out, f"{type(exc).__name__}: {exc}"[:300]


def _context(
    services: Services, user: AccountInfo, jid: str, version: int, lang: str
) -> dict[str, Any]:
    j, failed = _show(services, jid, lang)
    row = next((v for v in j.get("versions") or [] if v.get("version") == version), None)
    if row is None:
        raise NotFound(f"journey {jid} has no version {version}")
    spec = version_spec(services.engine, jid, version)
    graph = row.get("graph") or {}
    counts = {str(n["id"]): float(n.get("count") or 0) for n in graph.get("nodes") or []}
    t = translator(lang)
    kinds = {k: t(f"journey.kind.{k}") for k in KINDS}
    words = {w: t(f"journey.edge.{w}") for w in EDGES}
    forecast = row.get("forecast") if isinstance(row.get("forecast"), dict) else None
    daily = None
    if forecast and forecast.get("daily_entries"):
        entries = [float(n) for n in forecast["daily_entries"]]
        daily = bar_chart(
            [str(i + 1) for i in range(len(entries))],
            {t("journey.entries"): entries},
            title=t("journey.daily_entries"), x_label=t("chart.day"),
            y_label=t("journey.entries"), chart_id="forecast-chart",
        )  # fmt: skip
    return {
        "journey": j,
        "version": row,
        "spec": spec,
        "graph": svg(spec, counts if graph else None, kinds=kinds, words=words),
        "counted": bool(graph),
        "forecast": forecast,
        "forecast_failed": failed,
        "forecast_chart": daily,
        "journey_card": row.get("card") or {},
        "may_decide": user.role in APPROVER_ROLES
        and row.get("status") == "awaiting_approval"
        and user.name != row.get("created_by"),
    }


@router.get("/ui/journeys/{jid}/{version}", response_class=HTMLResponse)
async def journey_page(request: Request, version: str, jid: str) -> Response:
    """The version's graph, trigger, limits and decision."""
    user = await web_user(request)
    try:
        n = _version(jid, version)
    except HANDLED as exc:
        return error_page(request, exc, user)
    services: Services = request.app.state.services
    lang = pick_language(request)
    try:
        ctx = await run_in_threadpool(_context, services, user, jid, n, lang)
    except HANDLED as exc:
        return error_page(request, exc, user)
    return render(request, "journey.html", ctx, user=user)


@router.post("/ui/journeys/{jid}/{version}/decide", response_class=HTMLResponse)
async def journey_decide(request: Request, version: str, jid: str) -> Response:
    """Approve or reject (with a reason) the version."""
    user = await web_user(request)
    try:
        n = _version(jid, version)
    except HANDLED as exc:
        return error_page(request, exc, user)
    try:
        form = await read_form(request)
    except BadInput as exc:
        return error_page(request, exc, user)
    check_csrf(request, form.get("csrf"))
    services: Services = request.app.state.services
    decision = form.get("decision")
    comment = form.get("comment").strip()[:2000]
    try:
        if decision == "approve":
            await run_in_threadpool(
                lambda: approve(services.engine, jid, actor=user.name, version=n,
                                comment=comment or None)
            )  # fmt: skip
        elif decision == "reject" and comment:
            await run_in_threadpool(
                lambda: reject(services.engine, jid, actor=user.name, reason=comment,
                               version=n)
            )  # fmt: skip
        else:
            raise BadInput.one("approve, or reject with a reason", field="comment", value=comment)
    except HANDLED as exc:
        lang = pick_language(request)
        status, headline, detail = explain(lang, exc)
        try:
            ctx = await run_in_threadpool(_context, services, user, jid, n, lang)
        except HANDLED:
            return error_page(request, exc, user)
        ctx["error"] = {"headline": headline, "detail": detail}
        return render(request, "journey.html", ctx, status_code=status, user=user)
    return RedirectResponse(f"/ui/journeys/{jid}/{n}", 303)
