"""Middleware: the request body size limit (``MAX_BODY_BYTES``), by Content-Length and while streaming.

The limit is for the public door. Rasa's private door, the action endpoint (``/webhook``, loopback only), takes
the conversation's tracker with every call, which outgrows a public request's limit within a few turns: there a
loopback client may send up to ``private_max_bytes``.
"""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """A request body above ``max_body_bytes``; an HTTPException so FastAPI's body reader passes it through."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body too large: at most {limit} bytes are accepted")


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})
PRIVATE_PATHS = frozenset({"/webhook"})  # the Rasa action endpoint
PRIVATE_MAX_BYTES = 16 * 1024 * 1024


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413, by Content-Length and while streaming.

    Args:
        app: the ASGI application to wrap.
        max_bytes: the largest body accepted from the public.
        private_max_bytes: the largest body a loopback client may post to one of ``PRIVATE_PATHS``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, private_max_bytes: int = PRIVATE_MAX_BYTES):
        self.app = app
        self.public_max_bytes = max_bytes
        self.private_max_bytes = private_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        private = scope.get("path") in PRIVATE_PATHS and bool(client) and client[0] in LOOPBACK
        limit = self.private_max_bytes if private else self.public_max_bytes
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, 400, "invalid Content-Length header")
                return
            if int(declared) > limit:
                await self._refuse(scope, receive, send, 413, BodyTooLarge(limit).detail)
                return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
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
            await self._refuse(scope, receive, send, 413, BodyTooLarge(limit).detail)
        if exceeded and not started:
            await self._refuse(scope, receive, send, 413, BodyTooLarge(limit).detail)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        headers = {"Connection": "close"} if status == 413 else None
        await JSONResponse({"detail": message}, status_code=status, headers=headers)(scope, receive, send)
