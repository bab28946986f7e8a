"""Operator chat pages: the thread list, one thread, and sending a message (streamed or not).

A message is always sent on the thread it is typed in: the answer to a clarifying question
continues the goal (the loop appends it to the earlier words), so nothing said before is
lost. With script, progress streams as server-sent events in plain words; without, the form
posts and the page comes back when the run stops.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo
from userops.api.deps import OPERATOR_ROLES, Services
from userops.api.routes import threads as api_threads
from userops.api.web import pick_language, render, translator
from userops.api.web.errors import HANDLED, error_page
from userops.api.web.session import check_csrf, read_form, web_user
from userops.api.web_data.card import arrange
from userops.api.web_data.journey_summary import journey_summary
from userops.api.web_data.threads import PLAIN_STATUS, conversation, list_threads
from userops.errors import BadInput
from userops.store.models import Approval
from userops.threads.access import THREAD_ID_PATTERN, sees_all

router = APIRouter(include_in_schema=False)
ThreadId = Path(pattern=THREAD_ID_PATTERN)
NODES = (
    "intake", "clarify", "plan", "evaluate", "prepare_approval", "approval_gate",
    "apply_decision", "dispatch", "measure", "review", "lessons",
)  # fmt: skip
"""Loop nodes with a plain-words progress line ``web.progress.<node>``."""


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    if services.runtime is None:
        raise HTTPException(503, "the agent loop is not running")
    return services


def _approvals(services: Services, thread_id: str) -> list[dict[str, Any]]:
    t = Approval.__table__
    q = select(t).where(t.c.thread_id == thread_id).order_by(t.c.created_at, t.c.id)
    with services.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def _thread(services: Services, user: AccountInfo, thread_id: str) -> dict[str, Any]:
    rt = services.runtime
    res = rt.get(thread_id)
    if res.values:
        res = api_threads.visible(rt, user, thread_id)  # someone else's: 404
    approvals = _approvals(services, thread_id) if res.values else []
    current = approvals[-1] if approvals else None
    return {
        "thread_id": thread_id,
        "status": res.status,
        "known_status": res.status in PLAIN_STATUS,
        "messages": conversation(res.values),
        "waiting_on": res.approval_id,
        "approvals": approvals,
        "proposal": arrange(current["card"] or {}) if current else None,
        "proposal_row": current,
        "journey": journey_summary(services.engine, res.values.get("journey")),
        "campaign_id": res.values.get("campaign_id"),
        "kpi": res.values.get("kpi"),
        "owner": res.values.get("owner"),
    }


def _may_write(user: AccountInfo) -> bool:
    return user.role in OPERATOR_ROLES


def _script_text(request: Request) -> dict[str, str]:
    """The lines the page's script says: progress per node and errors per status."""
    t = translator(pick_language(request))
    progress = {node: t(f"progress.{node}") for node in NODES}
    errors = {
        "403": t("error.role"), "404": t("error.not_found"), "409": t("error.busy"),
        "422": t("error.bad_input"), "429": t("error.too_many"), "503": t("error.not_recorded"),
        "other": t("error.other"), "network": t("error.network"), "done": t("chat.done"),
    }  # fmt: skip
    return {
        "progress_json": json.dumps(progress, ensure_ascii=False),
        "errors_json": json.dumps(errors, ensure_ascii=False),
    }


@router.get("/ui/chat", response_class=HTMLResponse)
async def chat_home(request: Request) -> Response:
    """The person's threads and a new one to start."""
    user = await web_user(request)
    services = _services(request)
    actor = None if sees_all(user.role) else user.name
    rows = await run_in_threadpool(list_threads, services.engine, actor)
    new_id = f"t-{uuid.uuid4().hex[:12]}"
    return render(
        request,
        "chat.html",
        {"threads": rows, "thread": None, "new_id": new_id, "may_write": _may_write(user),
         **_script_text(request)},
        user=user,
    )  # fmt: skip


@router.get("/ui/chat/{thread_id}", response_class=HTMLResponse)
async def chat_thread(request: Request, thread_id: str = ThreadId) -> Response:
    """One thread: its messages, where it stands, its proposal and results."""
    user = await web_user(request)
    services = _services(request)
    actor = None if sees_all(user.role) else user.name
    rows = await run_in_threadpool(list_threads, services.engine, actor)
    try:
        thread = await run_in_threadpool(_thread, services, user, thread_id)
    except HANDLED as exc:
        return error_page(request, exc, user)
    return render(
        request,
        "chat.html",
        {"threads": rows, "thread": thread, "new_id": thread_id, "may_write": _may_write(user),
         **_script_text(request)},
        user=user,
    )  # fmt: skip


def _check_writer(request: Request, user: AccountInfo) -> None:
    if not _may_write(user):
        t = translator(pick_language(request))
        raise HTTPException(403, t("error.operator_only", role=user.role))


@router.post("/ui/chat/{thread_id}/stream")
async def chat_stream(request: Request, thread_id: str = ThreadId) -> Response:
    """Send ``{"text"}`` on the thread and stream its progress (the ``/v1`` stream)."""
    user = await web_user(request)
    check_csrf(request, None)
    _check_writer(request, user)
    services = _services(request)
    try:
        data = await request.json()
        body = api_threads.OperatorMessage.model_validate(data if isinstance(data, dict) else {})
    except ValueError as exc:  # not JSON, or pydantic's ValidationError (a ValueError)
        if isinstance(exc, ValidationError):
            raise BadInput.from_validation_error(exc, where="body", first=True) from None
        raise BadInput.one("not JSON", field="body") from None
    return await run_in_threadpool(
        api_threads.stream_message, body, user, services.runtime, services, thread_id
    )


@router.get("/ui/chat/{thread_id}/events")
async def chat_events(request: Request, thread_id: str = ThreadId) -> Response:
    """Follow the thread (the ``/v1`` event stream): the page updates when a decision runs."""
    user = await web_user(request)
    services = _services(request)
    return await api_threads.follow_thread(
        user, services.runtime, services, thread_id, heartbeat=15.0, last_event_id=None
    )


@router.post("/ui/chat/{thread_id}/send")
async def chat_send(request: Request, thread_id: str = ThreadId) -> Response:
    """Send the message without script: run, then show the thread."""
    user = await web_user(request)
    try:
        form = await read_form(request, max_fields=10)
        check_csrf(request, form.get("csrf"))
        _check_writer(request, user)
        services = _services(request)
        try:
            body = api_threads.NewThread.model_validate(
                {"goal": form.get("text"), "thread_id": thread_id}
            )
        except ValidationError as exc:
            raise BadInput.from_validation_error(exc, where="text", first=True) from None
        await run_in_threadpool(api_threads.create_thread, body, user, services.runtime, services)
    except HANDLED as exc:
        return error_page(request, exc, user)
    return RedirectResponse(f"/ui/chat/{thread_id}", 303)
