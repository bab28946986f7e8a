"""Fake Aliyun Dysmsapi: ``GET /?Action=SendSms&...`` with signature v1 checked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.server import FakeServer
from userops.dispatch.adapters.aliyun_sms import AliyunSmsAdapter

REQUIRED = ("PhoneNumbers", "SignName", "TemplateCode", "AccessKeyId", "Timestamp")


def expected_signature(params: dict[str, str], secret: str) -> str:
    """Aliyun's documented algorithm, written independently of the adapter."""

    def enc(s: str) -> str:
        return quote(s, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    query = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = "GET&%2F&" + enc(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class FakeAliyunSms(FakeServer):
    """Answers like Dysmsapi; delivers by ``OutId``."""

    def __init__(self, key_id: str = "test-id", secret: str = "test-secret") -> None:
        self.key_id = key_id
        self.secret = secret
        self.sent: dict[str, list[str]] = {}
        """OutIds accepted per phone number (what QuerySendDetails lists)."""
        super().__init__()

    def adapter(self, **kw: Any) -> AliyunSmsAdapter:
        """An Aliyun SMS adapter on this fake (0.5 s timeout unless ``timeout`` is given)."""
        kw.setdefault("timeout", 0.5)
        return AliyunSmsAdapter(
            access_key_id=self.key_id,
            access_key_secret=self.secret,
            sign_name="优选",
            template_code="SMS_1",
            endpoint=self.url,
            **kw,
        )

    def query(self, p: dict[str, str], rid: str) -> JSONResponse:
        """``QuerySendDetails``: the records of one number (``SendDate`` not filtered here)."""
        if not p.get("PhoneNumber") or not p.get("SendDate"):
            return JSONResponse({"Code": "MissingParameter", "RequestId": rid}, 400)
        if self.faults.take("query") == "5xx":
            return JSONResponse({"Code": "ServiceUnavailable", "RequestId": rid}, 503)
        records = [
            {"PhoneNum": p["PhoneNumber"], "SendStatus": 3, "OutId": o, "ErrCode": "DELIVERED"}
            for o in self.sent.get(p["PhoneNumber"], [])
        ]
        return JSONResponse(
            {
                "Code": "OK",
                "TotalCount": len(records),
                "RequestId": rid,
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": records},
            }
        )

    def routes(self) -> None:
        """``GET /`` (the RPC endpoint)."""

        @self.app.get("/")
        async def rpc(request: Request) -> JSONResponse:
            p = dict(request.query_params)
            out_id = p.get("OutId", "")
            self.log(params=p)
            rid = uuid.uuid4().hex
            if p.get("Signature") != expected_signature(p, self.secret):
                return JSONResponse(
                    {"Code": "SignatureDoesNotMatch", "RequestId": rid}, status_code=400
                )
            if p.get("Action") == "QuerySendDetails":
                return self.query(p, rid)
            missing = [f for f in REQUIRED if not p.get(f)]
            if missing or p.get("Action") != "SendSms":
                return JSONResponse({"Code": "MissingParameter", "Message": str(missing)}, 400)
            json.loads(p.get("TemplateParam", "{}"))
            mode = self.mode(out_id)
            if mode == "5xx":
                return JSONResponse({"Code": "ServiceUnavailable", "RequestId": rid}, 503)
            if mode == "slow":
                await self.stall()
                return JSONResponse({"Code": "ServiceUnavailable"}, 504)
            if mode == "429":
                return JSONResponse(
                    {"Code": "Throttling.User", "Message": "Request was denied"}, 400
                )
            if mode == "permanent":
                return JSONResponse(
                    {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid number"}, 200
                )
            self.deliver(out_id)
            self.sent.setdefault(p["PhoneNumbers"], []).append(out_id)
            if mode == "accept_slow":  # accepted, but the answer comes too late
                await self.stall()
            return JSONResponse(
                {"Code": "OK", "Message": "OK", "BizId": f"biz-{rid[:12]}", "RequestId": rid}
            )
