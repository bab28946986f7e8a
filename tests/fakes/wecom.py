"""Fake WeCom API: ``gettoken`` and ``externalcontact/add_msg_template``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.wechat import FakeWechat


class FakeWecom(FakeWechat):
    """Delivers by ``external_userid``; ``faults.always[uid] = "permanent"`` puts a customer
    in ``fail_list`` (a partial batch failure); call-level faults come from ``faults.next``."""

    def __init__(self, corpid: str = "ww1", corpsecret: str = "wwsecret") -> None:
        super().__init__(appid=corpid, secret=corpsecret)

    def routes(self) -> None:
        """Token and mass-send routes."""

        @self.app.get("/cgi-bin/gettoken")
        async def token(corpid: str, corpsecret: str) -> dict[str, Any]:
            if (corpid, corpsecret) != (self.appid, self.secret):
                return {"errcode": 40001, "errmsg": "invalid credential"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self.issue(), "expires_in": 7200}

        @self.app.post("/cgi-bin/externalcontact/add_msg_template")
        async def send(access_token: str, request: Request) -> Any:
            body = await request.json()
            self.log(token=access_token, body=body)
            bad = self.check_token(access_token)
            if bad:
                return bad
            if body.get("chat_type") != "single" or not body.get("sender"):
                return {"errcode": 40058, "errmsg": "invalid parameter"}
            mode = self.mode(None)
            if mode == "5xx":
                return JSONResponse({"errmsg": "bad gateway"}, 502)
            if mode == "slow":
                await self.stall()
                return {"errcode": -1, "errmsg": "system busy"}
            if mode == "429":
                return {"errcode": 45033, "errmsg": "api concurrent out of limit"}
            uids = body.get("external_userid") or []
            failed = [u for u in uids if self.faults.always.get(u) == "permanent"]
            for u in uids:
                if u not in failed:
                    self.deliver(u)
            return {
                "errcode": 0,
                "errmsg": "ok",
                "fail_list": failed,
                "msgid": f"msg{len(self.requests)}",
            }
