"""Middleware: the request body size limit (``MAX_BODY_BYTES``), by Content-Length and while streaming."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """A request body above ``max_body_bytes``; an HTTPException so FastAPI's body reader passes it through."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body too large: at most {limit} bytes are accepted")


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413, by Content-Length and while streaming.

    Args:
        app: the ASGI application to wrap.
        max_bytes: the largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, 400, "invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)
                return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)
        if exceeded and not started:
            await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        headers = {"Connection": "close"} if status == 413 else None
        await JSONResponse({"detail": message}, status_code=status, headers=headers)(scope, receive, send)
