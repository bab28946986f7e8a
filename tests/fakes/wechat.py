"""Fake WeChat official-account API: access tokens and template messages."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse

from tests.fakes.server import FakeServer


class FakeWechat(FakeServer):
    """``/cgi-bin/token`` and ``/cgi-bin/message/template/send``; delivers by client_msg_id."""

    def __init__(self, appid: str = "wx1", secret: str = "wxsecret") -> None:
        self.appid = appid
        self.secret = secret
        self.tokens_issued: list[str] = []
        self.expired: set[str] = set()
        self._ids = itertools.count(1000)
        super().__init__()

    def issue(self) -> str:
        """A new token (also used by subclasses)."""
        token = f"at-{next(self._ids)}"
        self.tokens_issued.append(token)
        return token

    def expire_tokens(self) -> None:
        """Make every token issued so far answer 42001."""
        self.expired.update(self.tokens_issued)

    def check_token(self, token: str) -> dict[str, Any] | None:
        """The error answer for a bad token, or ``None``."""
        if token in self.expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.tokens_issued:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return None

    def routes(self) -> None:
        """Token and template-send routes."""

        @self.app.get("/cgi-bin/token")
        async def token(grant_type: str, appid: str, secret: str) -> dict[str, Any]:
            if grant_type != "client_credential" or (appid, secret) != (self.appid, self.secret):
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            return {"access_token": self.issue(), "expires_in": 7200}

        @self.app.post("/cgi-bin/message/template/send")
        async def send(access_token: str, request: Request) -> Any:
            body = await request.json()
            key = body.get("client_msg_id", "")
            self.log(token=access_token, body=body)
            bad = self.check_token(access_token)
            if bad:
                return bad
            if not body.get("touser") or not body.get("template_id"):
                return {"errcode": 40003, "errmsg": "invalid openid"}
            mode = self.mode(key)
            if mode == "5xx":
                return JSONResponse({"errmsg": "bad gateway"}, 502)
            if mode == "slow":
                await self.stall()
                return {"errcode": -1, "errmsg": "system error"}
            if mode == "429":
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            if mode == "permanent":
                return {"errcode": 43004, "errmsg": "require subscribe"}
            if mode == "garbage":
                return PlainTextResponse("<html>maintenance</html>", 200)
            self.deliver(key)
            return {"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)}

        self.subscribe_route()

    def subscribe_route(self) -> None:
        """Mini-program subscription messages."""

        @self.app.post("/cgi-bin/message/subscribe/send")
        async def subscribe(access_token: str, request: Request) -> Any:
            body = await request.json()
            self.log(token=access_token, body=body)
            bad = self.check_token(access_token)
            if bad:
                return bad
            if body.get("miniprogram_state") not in ("developer", "trial", "formal"):
                return {"errcode": 47003, "errmsg": "argument invalid! miniprogram_state"}
            mode = self.mode(body.get("touser"))
            if mode == "permanent":
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            if mode == "429":
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            self.deliver(body.get("touser", ""))
            return {"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)}
