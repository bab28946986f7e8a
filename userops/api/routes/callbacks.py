"""Provider callbacks: ``POST /v1/callbacks/sms/report|sms/reply|email|push|call``.

No operator token: each request proves where it comes from as its provider documents it
(:mod:`userops.dispatch.feedback.signed`): the Aliyun SMS push by the secret token in its
URL (``?token=``), the others by an HMAC-SHA256 signature over timestamp and body. Answers:

* 200 with what was written (Aliyun's pushes get the ``{"code": 0, "msg": ...}`` it wants);
* 400 with every malformed field located (``[2].send_time``, ``events[0].email``); nothing
  is written;
* 401 (missing or wrong token or signature, an expired timestamp, callbacks not configured),
  409 (a signature accepted before: a replay); nothing is written;
* 503 when the store could not commit (the provider retries).

What each callback writes: docs/channels.md, "Provider feedback".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from userops.api.deps import Services
from userops.api.errors import problem_list
from userops.dispatch.call_callback import feedback as call_feedback
from userops.dispatch.feedback import parse, signed
from userops.dispatch.feedback.items import Feedback
from userops.errors import BadInput
from userops.feedback import aliyun, mail_push, record

router = APIRouter(tags=["callbacks"])
log = logging.getLogger(__name__)
Parser = Callable[[Engine, Any], Feedback]
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {}}},
        "description": "The provider's JSON document (docs/channels.md, Provider feedback).",
    }
}
_OK_ALIYUN = {"code": 0, "msg": "接收成功"}


def _json(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def _refused(exc: signed.Refused) -> Response:
    where = exc.field.split(" ", 1)
    data = {"detail": [{"loc": where, "msg": exc.reason}], "message": str(exc)}
    headers = {"WWW-Authenticate": "Signature"} if exc.status == 401 else None
    return _json(exc.status, data, headers)


def _bad(exc: BadInput, aliyun_shape: bool) -> Response:
    data: dict[str, Any] = {"detail": problem_list(exc), "message": exc.render()}
    if aliyun_shape:
        data = {"code": 400, "msg": "bad request; nothing was stored", **data}
    return _json(400, data)


def _store(engine: Engine, parser: Parser, body: bytes, source: str, replay: Any) -> Any:
    fb = parser(engine, parse.json_body(body, source))
    return record(engine, fb, replay).as_dict()


async def _handle(
    request: Request, provider: str, parser: Parser, *, aliyun_shape: bool = False
) -> Response:
    services: Services = request.app.state.services
    s = services.settings
    body = await request.body()
    replay = None
    try:
        if aliyun_shape:
            signed.check_token(provider, s.sms_callback_token, request.query_params.get("token"))
        else:
            secret = getattr(s, f"{provider}_callback_secret")
            replay = signed.verify(
                provider,
                secret,
                request.headers,
                body,
                now=int(time.time()),
                tolerance_s=s.callback_tolerance_s,
            )
        counts = await run_in_threadpool(
            _store, services.engine, parser, body, f"{provider} callback", replay
        )
    except signed.Refused as exc:
        return _refused(exc)
    except BadInput as exc:
        return _bad(exc, aliyun_shape)
    except OperationalError:
        log.exception("callback %s: the store could not commit", provider)
        data = {"code": 503, "msg": "not recorded, retry", "retryable": True}
        return _json(503, data, {"Retry-After": "5"})
    return _json(200, {**_OK_ALIYUN, **counts} if aliyun_shape else counts)


@router.post("/v1/callbacks/sms/report", openapi_extra=_BODY, summary="Aliyun SmsReport push")
async def sms_report(request: Request) -> Response:
    """Delivery reports of SMS (Aliyun HTTP batch push, ``?token=`` secret)."""
    return await _handle(request, "sms", aliyun.reports, aliyun_shape=True)


@router.post("/v1/callbacks/sms/reply", openapi_extra=_BODY, summary="Aliyun SmsUp push")
async def sms_reply(request: Request) -> Response:
    """Inbound SMS replies; 退订/TD/STOP withdraw SMS consent at once."""
    return await _handle(request, "sms", aliyun.replies, aliyun_shape=True)


@router.post("/v1/callbacks/email", openapi_extra=_BODY, summary="E-mail bounces, complaints")
async def email(request: Request) -> Response:
    """Bounces (a hard one clears the address) and complaints (withdraw e-mail consent)."""
    return await _handle(request, "email", mail_push.mail)


@router.post("/v1/callbacks/push", openapi_extra=_BODY, summary="Push token invalidation")
async def push(request: Request) -> Response:
    """Invalid device tokens: cleared from the records holding them."""
    return await _handle(request, "push", mail_push.push)


@router.post("/v1/callbacks/call", openapi_extra=_BODY, summary="AI outbound-call outcome")
async def call(request: Request) -> Response:
    """The outcome of one call: event, call traits, ``opt_out`` withdraws call consent."""
    return await _handle(request, "call", call_feedback)
