"""Profiles: semantic search and import by upload (same validation as the CLI)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from userops.api.deps import AnyUser, EngineDep, Operator, ServicesDep
from userops.api.loop import jsonable
from userops.approvals.records import audit

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])
MAX_UPLOAD = 200 * 1024 * 1024


_TYPES = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}
_TYPES["application/json"] = "jsonl"
"""Content types that say which format the upload is in (others, octet-stream..., say none)."""


def check_upload(headers: Mapping[str, str], fmt: str) -> None:
    """Refuse (422, naming the header or ``format``) an upload that is not the file as sent.

    The body is read as the file itself: not compressed, not a form, in ``format``.
    """
    from userops.errors import BadInput

    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        reason = "not supported: send the file uncompressed (up to 200 MiB)"
        raise BadInput.one(reason, field="Content-Encoding", value=encoding)
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith("multipart/") or ctype == "application/x-www-form-urlencoded":
        reason = "send the file itself as the body (text/csv or application/x-ndjson), not a form"
        raise BadInput.one(reason, field="Content-Type", value=ctype)
    said = _TYPES.get(ctype)
    if said is not None and said != fmt:
        reason = f"the body is {ctype}: ask for format={said}"
        raise BadInput.one(reason, field="format", value=fmt)


@router.get("/search")
def search(
    _user: AnyUser,
    services: ServicesDep,
    q: str = Query(min_length=1, max_length=500),
    k: int = Query(default=10, ge=1, le=100),
) -> list[dict[str, Any]]:
    """Find profiles by a description in words (summaries only, no contact data)."""
    from userops.cdp.search.index import ProfileSearch

    hits = ProfileSearch(services.engine, services.settings).search(q, k=k)
    return [h.model_dump() for h in hits]


@router.post(
    "/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_upload(
    request: Request,
    user: Operator,
    engine: EngineDep,
    kind: Literal["users", "events", "consents"] = Query(),
    format: Literal["csv", "jsonl"] = Query(default="csv"),
) -> dict[str, Any]:
    """Import the uploaded file (body): every row valid, or a 422 naming file:line and field."""
    from starlette.concurrency import run_in_threadpool

    from userops.cdp.ingest.importer import import_file
    from userops.errors import BadInput

    check_upload(request.headers, format)
    data = await request.body()
    if not data or len(data) > MAX_UPLOAD:
        raise BadInput.one("upload an import file of 1 byte to 200 MiB", field="body")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload.{format}"
        path.write_bytes(data)
        try:
            res = await run_in_threadpool(import_file, engine, kind, path, fmt=format)
        except BadInput as exc:
            for p in exc.problems:
                if p.source == str(path):
                    object.__setattr__(p, "source", "upload")
            raise BadInput(exc.problems, exc.total) from None
    out = jsonable(res.as_dict())
    out["path"] = "upload"
    with engine.begin() as conn:
        audit(
            conn,
            user.name,
            "profiles.import",
            "import",
            kind,
            {k: out[k] for k in ("rows", "inserted", "updated") if k in out},
        )
    return out  # type: ignore[no-any-return]
