"""The WeChat official account callback: ``GET /wechat`` (URL verification) and ``POST /wechat`` (messages).

Thin by design: the checks, replies and late delivery live in :mod:`api.wechat`; the channel is built (and its
pending late deliveries cancelled) by the application's lifespan and reached through :data:`api.deps.ChannelDep`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from api.deps import ChannelDep, DialogueDep
from api.wechat import MAX_BODY_BYTES, WeChatRequestError

router = APIRouter(tags=["wechat"])


@router.get("/wechat", response_class=PlainTextResponse)
async def verify_url(
    channel: ChannelDep,
    signature: Annotated[str, Query()] = "",
    timestamp: Annotated[str, Query()] = "",
    nonce: Annotated[str, Query()] = "",
    echostr: Annotated[str, Query()] = "",
) -> Response:
    """WeChat's server address check: echo ``echostr`` when the signature is ours."""
    try:
        channel.verify_url(signature, timestamp, nonce)
    except WeChatRequestError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    return PlainTextResponse(echostr)


@router.post("/wechat")
async def receive(request: Request, channel: ChannelDep, dialogue: DialogueDep) -> Response:
    """One message or event from WeChat; answered within the 5-second window (see :class:`WeChatChannel`)."""
    try:
        body = await _read_body(request)
        reply = await channel.receive(request.query_params, body, dialogue)
    except WeChatRequestError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    if reply == "success":
        return PlainTextResponse(reply)
    return Response(reply, media_type="application/xml")


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it passes the size cap (never buffered whole first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise WeChatRequestError(413, f"body of {declared} bytes, at most {MAX_BODY_BYTES}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise WeChatRequestError(413, f"body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
