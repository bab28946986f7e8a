"""Dashboards: messages over time (campaigns and journeys), and one campaign's results.

Charts are SVG drawn on the server with axes, legends and 95% intervals; on a simulated
store (seed, demo, eval) every chart and table says the results are simulated.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from userops.api.deps import Services
from userops.api.web import pick_language, render, translator
from userops.api.web.errors import error_page
from userops.api.web.session import web_user
from userops.api.web_data import results
from userops.api.web_data.charts import Series, bar_chart, line_chart
from userops.errors import NotFound

router = APIRouter(include_in_schema=False)
METRICS = ("conversion_rate", "click_rate", "open_rate", "reply_rate")


def _overview(services: Services, lang: str) -> dict[str, Any]:
    t = translator(lang)
    engine = services.engine
    sim = t("chart.simulated") if results.simulated(engine) else None
    daily = results.daily_sends(engine, days=14)
    names = {"campaign": t("dash.campaigns"), "journey": t("dash.journeys")}
    by_source = {names[k]: v for k, v in daily["by_source"].items()}
    return {
        "campaigns": results.campaigns(engine),
        "simulated": sim,
        "chart_source": bar_chart(
            daily["days"], by_source, title=t("chart.sent_by_source"), x_label=t("chart.day"),
            y_label=t("chart.messages"), simulated=sim, chart_id="chart-source",
        ),
        "chart_channel": bar_chart(
            daily["days"], daily["by_channel"], title=t("chart.sent_by_channel"),
            x_label=t("chart.day"), y_label=t("chart.messages"), simulated=sim,
            chart_id="chart-channel",
        ),
    }  # fmt: skip


@router.get("/ui/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request) -> Response:
    """Every campaign with its sends and cost; sends per day by source and by channel."""
    user = await web_user(request)
    services: Services = request.app.state.services
    ctx = await run_in_threadpool(_overview, services, pick_language(request))
    return render(request, "campaigns.html", ctx, user=user)


def _campaign(
    services: Services, campaign_id: str, metric: str, days: int, lang: str
) -> dict[str, Any]:
    engine = services.engine
    row = results.campaign_row(engine, campaign_id)
    if row is None:
        raise NotFound(f"no campaign {campaign_id!r}")
    t = translator(lang)
    sim = t("chart.simulated") if results.simulated(engine) else None
    series = results.kpi_series(engine, campaign_id, metric=metric, days=days)
    lines = []
    for arm in ("treatment", "holdout"):
        pts = [(float(p["day"]), p[arm]["rate"]) for p in series]
        band = [(float(p["day"]), p[arm]["lo"], p[arm]["hi"]) for p in series]
        lines.append(Series(t(f"arm.{arm}"), pts, band))
    last = series[-1] if series else None
    channels = results.by_channel(engine, campaign_id)
    return {
        "campaign": row,
        "metric": metric,
        "metrics": METRICS,
        "days": days,
        "simulated": sim,
        "last": last,
        "chart": line_chart(
            lines, title=t("chart.kpi_title", metric=t(f"metric.{metric}")),
            x_label=t("chart.days_after"), y_label=t(f"metric.{metric}"), simulated=sim,
        ),
        "channels": channels,
        "sent": sum(c["states"].get("sent", 0) for c in channels),
        "cost": sum(c["cost"] for c in channels),
        "variants": results.by_variant(engine, campaign_id, metric=metric,
                                       window_s=days * results.DAY),
    }  # fmt: skip


@router.get("/ui/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(
    request: Request,
    campaign_id: str,
    metric: str = Query(default="conversion_rate", max_length=32),
    days: int = Query(default=14, ge=1, le=60),
) -> Response:
    """One campaign: KPI over time with intervals, per channel and per variant."""
    user = await web_user(request)
    services: Services = request.app.state.services
    metric = metric if metric in METRICS else "conversion_rate"
    try:
        ctx = await run_in_threadpool(
            _campaign, services, campaign_id[:64], metric, days, pick_language(request)
        )
    except NotFound as exc:
        return error_page(request, exc, user)
    return render(request, "campaign.html", ctx, user=user)
