"""Approver pages: the inbox (campaign approvals and journey versions), a card, decisions.

Decisions go through the same checks as ``POST /v1/approvals/{id}/decision`` (role, own
edit, self-approval, a valid edited plan); an operator sees the card without the decision
forms, and a decision posted anyway is refused by the same rule. After a decision the card
comes back with what happened (the thread's status, the campaign's results).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo, list_users
from userops.api.deps import APPROVER_ROLES, Services
from userops.api.loop import decide, progress_event, thread_view
from userops.api.routes.approvals import DecisionIn, hitl_decision
from userops.api.web import pick_language, render, translator
from userops.api.web.errors import HANDLED, error_page, explain
from userops.api.web.session import Form, check_csrf, read_form, web_user
from userops.api.web_data.card import apply_edit, arrange, understood_rows
from userops.api.web_data.inbox import RISKS, STATUSES, approvals_page, journey_versions
from userops.api.web_data.threads import age_parts
from userops.approvals import records as approvals
from userops.approvals.rules import check_role
from userops.domain import CHANNELS
from userops.errors import BadInput

router = APIRouter(include_in_schema=False)
DECISIONS = ("approve", "reject", "edit", "respond")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _approvers(services: Services) -> list[str]:
    return [u.name for u in list_users(services.engine) if u.role in APPROVER_ROLES]


@router.get("/ui/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    status: str = Query(default="pending", max_length=16),
    risk: str = Query(default="", max_length=8),
    kind: str = Query(default="", max_length=8),
    q: str = Query(default="", max_length=100),
) -> Response:
    """Approvals and journey versions with title, requester, audience, cost, risk and age."""
    user = await web_user(request)
    engine = _services(request).engine
    status_ = status if status in STATUSES or status == "all" else "pending"
    items: list[dict[str, Any]] = []
    if kind in ("", "campaign"):
        items += await run_in_threadpool(
            lambda: approvals_page(
                engine, status=None if status_ == "all" else status_, risk=risk or None, q=q
            )
        )
    if kind in ("", "journey") and not risk:
        items += await run_in_threadpool(
            lambda: journey_versions(engine, status=None if status_ == "all" else status_, q=q)
        )
    items.sort(key=lambda i: str(i["created_at"]), reverse=True)
    for i in items:
        i["age"] = age_parts(i["created_at"])
    ctx = {
        "items": items,
        "filters": {"status": status_, "risk": risk, "kind": kind, "q": q},
        "statuses": (*STATUSES, "all"),
        "risks": RISKS,
    }
    return render(request, "inbox.html", ctx, user=user)


def _card_context(
    services: Services, user: AccountInfo, approval_id: str, lang: str
) -> dict[str, Any]:
    rec = approvals.get(services.engine, approval_id)
    row = rec.to_dict()
    card = row.get("card") or {}
    thread = None
    if rec.thread_id and services.runtime is not None:
        res = services.runtime.get(rec.thread_id)
        thread = {
            "status": res.status,
            "waiting_on": res.approval_id,
            "campaign_id": res.values.get("campaign_id"),
            "kpi": res.values.get("kpi"),
        }
    may_decide = user.role in APPROVER_ROLES and rec.status == "pending"
    return {
        "rec": row,
        "card": arrange(card),
        "understood_rows": understood_rows(card.get("understood") or {}, lang, translator(lang)),
        "thread": thread,
        "may_decide": may_decide,
        "may_approve": may_decide and user.name != rec.edited_by,
        "approvers": _approvers(services),
        "channels": CHANNELS,
        "age": age_parts(rec.created_at),
    }


@router.get("/ui/approvals/{approval_id}", response_class=HTMLResponse)
async def card_page(
    request: Request, approval_id: str, done: str = Query(default="", max_length=16)
) -> Response:
    """The card: what was understood, the contract, previews, findings, diff, decisions."""
    user = await web_user(request)
    services = _services(request)
    try:
        lang = pick_language(request)
        ctx = await run_in_threadpool(_card_context, services, user, approval_id[:64], lang)
    except HANDLED as exc:
        return error_page(request, exc, user)
    ctx["done"] = done if done in DECISIONS else ""
    return render(request, "card.html", ctx, user=user)


def _decision_body(form: Form, plan: dict[str, Any]) -> DecisionIn:
    decision = form.get("decision")
    if decision not in DECISIONS:
        raise BadInput.one(f"one of {', '.join(DECISIONS)}", field="decision", value=decision)
    comment = form.get("comment").strip()[:4000] or None
    edited = None
    if decision == "edit":
        fields = form.first_values()
        channels = {k: form.getlist(k) for k in form.fields if k.endswith(".channels")}
        edited = apply_edit(plan, fields, channels)
    return DecisionIn(
        decision=decision,
        comment=comment,
        edited_plan=edited,
        client_decision_id=(form.get("client_decision_id") or uuid.uuid4().hex)[:64],
    )


def _decide(
    services: Services,
    approval_id: str,
    decision: dict[str, Any],
    user: AccountInfo,
    body: DecisionIn,
) -> None:
    """Decide as ``/v1`` does, telling the thread's followers (SSE) its progress and state."""
    hub = services.hub
    tid = approvals.get(services.engine, approval_id).thread_id or ""

    def on_update(node: str, update: dict[str, Any]) -> None:
        hub.publish(tid, "progress", progress_event(node, update))

    rec, replayed = decide(
        services.runtime,
        approval_id,
        decision,
        actor=user.name,
        client_decision_id=body.client_decision_id,
        on_update=on_update,
    )
    if rec.thread_id and not replayed:
        hub.publish(rec.thread_id, "state", thread_view(services.runtime.get(rec.thread_id)))


@router.post("/ui/approvals/{approval_id}/decide", response_class=HTMLResponse)
async def decide_form(request: Request, approval_id: str) -> Response:
    """Approve, reject (with a reason), respond or edit (the form's fields) the card."""
    user = await web_user(request)
    try:
        form = await read_form(request)
    except BadInput as exc:
        return error_page(request, exc, user)
    check_csrf(request, form.get("csrf"))
    services = _services(request)
    approval_id = approval_id[:64]
    try:
        check_role(user.role, form.get("decision"))
        rec = await run_in_threadpool(approvals.get, services.engine, approval_id)
        body = _decision_body(form, (rec.card or {}).get("plan") or {})
        decision = hitl_decision(body)
        await run_in_threadpool(_decide, services, approval_id, decision, user, body)
    except HANDLED as exc:
        try:
            lang = pick_language(request)
            ctx = await run_in_threadpool(_card_context, services, user, approval_id, lang)
        except HANDLED:
            return error_page(request, exc, user)
        status, headline, detail = explain(pick_language(request), exc)
        ctx.update(done="", error={"headline": headline, "detail": detail})
        return render(request, "card.html", ctx, status_code=status, user=user)
    return RedirectResponse(f"/ui/approvals/{approval_id}?done={body.decision}", 303)
