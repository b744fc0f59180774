"""Human handoff for staff: the inbox page (``/console/inbox``), the handoffs' API and their server-sent events.

Clerks and above (:data:`api.auth.ClerkDep`). A handoff (:mod:`assistant.console.handoffs`) is claimed by one clerk
(a second claim: 409), who reads the conversation so far, replies (web: the widget shows it live; WeChat: through
the customer-service API, only within 48 hours of the follower's last message: 422 after), and releases it back to
the assistant. Every action, and every opening of a conversation, goes to the audit log. The call-back number a
person left is shown only to the clerk holding the handoff.

The inbox's stream (``GET /api/v1/handoffs/events``) is derived from the database, polled each second, so that any
of several application processes can serve it and every clerk sees every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api.auth import ClerkDep, client_ip
from api.conversations import SSE_HEADERS, event_stream, sse
from api.deps import ChannelDep, ConsoleDep, LoaderDep, PagesDep, RepliesDep
from api.state import KnowledgeLoader
from api.wechat import WeChatRequestError
from assistant.console import audit, handoffs
from assistant.console.handoffs import HandoffError, HandoffView
from assistant.console.messages import Stored
from assistant.console.models import utcnow
from assistant.console.staff import Staff
from assistant.privacy import mask

router = APIRouter(tags=["handoffs"])

MAX_REPLY_CHARS = 600  # within WeChat's 2048-byte message with the clerk's name before it


class HandoffMessage(BaseModel):
    """A message of a handoff: the person's, a clerk's, or a note."""

    seq: int
    message_id: str
    handoff_id: int | None
    author: str = Field(description="`person`, `assistant`, `clerk` or `system`")
    text: str = Field(description="masked")
    clerk: str | None = None
    created_at: datetime


class TranscriptEntry(BaseModel):
    """A message of the conversation before the handoff (masked)."""

    seq: int
    author: str
    text: str
    at: datetime
    item_id: str | None = None


class HandoffSummary(BaseModel):
    """A handoff as the inbox lists it."""

    id: int
    channel: str = Field(description="`web` or `wechat`")
    status: str = Field(description="`open` (waiting), `claimed` (a clerk answers), `released` (back to the assistant)")
    item_id: str | None
    item_name: str | None = Field(description="the item being discussed when the person asked for a human")
    after_hours: bool = Field(description="opened outside working hours")
    has_phone: bool = Field(description="the person left a number for a call-back")
    phone: str | None = Field(description="that number: only for the clerk who holds the handoff")
    claimed_by: str | None
    created_at: datetime
    claimed_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None
    last_seq: int = Field(description="the newest message of the handoff")


class HandoffDetail(HandoffSummary):
    """A handoff with the conversation before it and its messages since."""

    transcript: list[TranscriptEntry]
    messages: list[HandoffMessage]


class Reply(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS, description="the clerk's reply")


def message_out(message: Stored) -> HandoffMessage:
    return HandoffMessage(
        seq=message.seq,
        message_id=message.message_id,
        handoff_id=message.handoff_id,
        author=message.author,
        text=message.text,
        clerk=message.clerk,
        created_at=message.created_at,
    )


def _item_name(loader: KnowledgeLoader, item_id: str | None) -> str | None:
    knowledge = loader.current()
    if not item_id or knowledge is None:
        return None
    entry = knowledge.catalogue.get(item_id)
    return entry.name if entry is not None else None


def summary(found: HandoffView, loader: KnowledgeLoader) -> HandoffSummary:
    return HandoffSummary(
        id=found.id,
        channel=found.channel,
        status=found.status,
        item_id=found.item_id,
        item_name=_item_name(loader, found.item_id),
        after_hours=found.after_hours,
        has_phone=found.has_phone,
        phone=found.phone,
        claimed_by=found.claimed_by,
        created_at=found.created_at,
        claimed_at=found.claimed_at,
        first_reply_at=found.first_reply_at,
        closed_at=found.closed_at,
        last_seq=found.last_seq,
    )


def detail(found: HandoffView, loader: KnowledgeLoader) -> HandoffDetail:
    return HandoffDetail(
        **summary(found, loader).model_dump(),
        transcript=[TranscriptEntry(**entry) for entry in found.transcript],
        messages=[message_out(message) for message in found.messages],
    )


def refused(error: HandoffError) -> JSONResponse:
    """A clerk's action refused: the status, what is wrong, and a stable ``code`` the inbox words for the clerk."""
    return JSONResponse({"detail": error.message, "code": error.code}, status_code=error.status)


async def _audit(db, request: Request, member: Staff, action: str, handoff_id: int, detail: str = "") -> None:
    await asyncio.to_thread(
        audit.record, db, member.username, member.role, action, f"handoff {handoff_id}", detail, client_ip(request)
    )


REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such handoff."},
    409: {"description": "Claimed by another clerk, not claimed yet, or ended (`code` says which)."},
}


# ---------------------------------------------------------------------------------------------------------------
# The page


@router.get("/console/inbox", summary="The handoff inbox (HTML)", response_class=HTMLResponse, tags=["staff pages"])
async def inbox_page(request: Request, member: ClerkDep, pages: PagesDep) -> Response:
    """The clerks' inbox: the handoffs waiting and held, pushed live; a conversation, its reply box, 认领 and
    交还助手."""
    return pages.render(request, "console_inbox.html", {"staff": member, "active": "inbox"})


# ---------------------------------------------------------------------------------------------------------------
# The API


@router.get("/api/v1/handoffs", summary="List handoffs", response_model=list[HandoffSummary])
async def list_handoffs(
    member: ClerkDep,
    db: ConsoleDep,
    loader: LoaderDep,
    status: Annotated[
        str | None,
        Query(
            pattern="^(open|claimed|released)$", description="`open`, `claimed` or `released`; none: open and claimed"
        ),
    ] = None,
) -> list[HandoffSummary]:
    """Handoffs by status: waiting and held ones oldest first, released ones most recently ended first."""
    statuses = (status,) if status else handoffs.ACTIVE
    found = await asyncio.to_thread(handoffs.listing, db, statuses, member.username)
    return [summary(one, loader) for one in found]


@router.get(
    "/api/v1/handoffs/events",
    summary="Handoffs as they change, as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "`handoff` and `message` events"}},
)
async def handoff_events(request: Request, member: ClerkDep, db: ConsoleDep, loader: LoaderDep) -> StreamingResponse:
    """Server-sent events for the inbox: ``handoff`` (a :class:`HandoffSummary`) when a handoff opens, is claimed,
    gets a call-back number or is released, and ``message`` (a :class:`HandoffMessage`) for each new message of a
    handoff. Changes from the moment of connecting (a page loads the list first, and again when it reconnects)."""
    state = await asyncio.to_thread(handoffs.inbox_state, db)
    seen = {"seq": await asyncio.to_thread(handoffs.latest_seq, db)}

    async def poll() -> list[str]:
        nonlocal state
        current = await asyncio.to_thread(handoffs.inbox_state, db)
        changed = [handoff_id for handoff_id, shown in current.items() if state.get(handoff_id) != shown]
        state = current
        events = []
        for handoff_id in sorted(changed):
            found = await asyncio.to_thread(handoffs.get, db, handoff_id, member.username)
            events.append(sse("handoff", summary(found, loader).model_dump(mode="json")))
        new = await asyncio.to_thread(handoffs.handoff_messages_after, db, seen["seq"])
        for message in new:
            events.append(sse("message", message_out(message).model_dump(mode="json"), message.seq))
            seen["seq"] = message.seq
        return events

    return StreamingResponse(
        event_stream(poll, request.is_disconnected), media_type="text/event-stream", headers=SSE_HEADERS
    )


@router.get(
    "/api/v1/handoffs/{handoff_id}",
    summary="A handoff's conversation",
    response_model=HandoffDetail,
    responses=REFUSALS,
)
async def get_handoff(
    handoff_id: int, request: Request, member: ClerkDep, db: ConsoleDep, loader: LoaderDep
) -> HandoffDetail | JSONResponse:
    """The handoff with the conversation before it (masked) and its messages since; opening it is logged."""
    try:
        found = await asyncio.to_thread(handoffs.get, db, handoff_id, member.username, True)
    except HandoffError as error:
        return refused(error)
    await _audit(db, request, member, "handoff.view", handoff_id)
    return detail(found, loader)


@router.post(
    "/api/v1/handoffs/{handoff_id}/claim", summary="Claim a handoff", response_model=HandoffDetail, responses=REFUSALS
)
async def claim_handoff(
    handoff_id: int, request: Request, member: ClerkDep, db: ConsoleDep, loader: LoaderDep
) -> HandoffDetail | JSONResponse:
    """Take a waiting handoff: from now on only you reply to it (another clerk's claim is refused with 409). The
    answer carries the conversation, and the call-back number when one was left."""
    try:
        await asyncio.to_thread(handoffs.claim, db, handoff_id, member.username, utcnow())
        found = await asyncio.to_thread(handoffs.get, db, handoff_id, member.username, True)
    except HandoffError as error:
        await _audit(db, request, member, "handoff.claim.refused", handoff_id, error.message)
        return refused(error)
    await _audit(db, request, member, "handoff.claim", handoff_id, "phone shown" if found.phone else "")
    return detail(found, loader)


@router.post(
    "/api/v1/handoffs/{handoff_id}/reply",
    summary="Reply to the person",
    response_model=HandoffMessage,
    responses={
        **REFUSALS,
        422: {"description": "Empty text, or a WeChat follower silent for more than 48 hours (call back instead)."},
        502: {"description": "WeChat did not accept the message."},
        503: {"description": "WeChat's customer-service API is not configured."},
    },
)
async def reply_to_handoff(
    handoff_id: int,
    body: Reply,
    request: Request,
    member: ClerkDep,
    db: ConsoleDep,
    channel: ChannelDep,
    replies: RepliesDep,
) -> HandoffMessage | JSONResponse:
    """Send the person a reply: shown live in their widget, or sent through WeChat's customer-service API (WeChat
    allows it within 48 hours of the follower's last message; after that: 422, call them back)."""
    text = _clean(body.text)
    if not text:
        return JSONResponse({"detail": "the reply is empty", "code": "empty"}, status_code=422)
    now = utcnow()
    try:
        held = await asyncio.to_thread(handoffs.check_reply, db, handoff_id, member.username, now)
    except HandoffError as error:
        await _audit(db, request, member, "handoff.reply.refused", handoff_id, error.message)
        return refused(error)
    if held.channel == "wechat":
        content = replies("handoff_clerk_wechat", name=member.username, text=text)
        try:
            delivered = await channel.send_staff_message(held.sender_id, content)
        except WeChatRequestError as error:
            return JSONResponse({"detail": error.message, "code": "wechat_not_configured"}, status_code=error.status)
        if not delivered:
            await _audit(db, request, member, "handoff.reply.failed", handoff_id, text)
            return JSONResponse(
                {
                    "detail": "WeChat did not accept the message (see the server log); try again, or call them back",
                    "code": "wechat_refused",
                },
                status_code=502,
            )
    try:
        stored = await asyncio.to_thread(handoffs.reply, db, handoff_id, member.username, text, now)
    except HandoffError as error:
        return refused(error)
    await _audit(db, request, member, "handoff.reply", handoff_id, text)
    return message_out(stored)


@router.post(
    "/api/v1/handoffs/{handoff_id}/release",
    summary="Hand the conversation back to the assistant",
    response_model=HandoffSummary,
    responses=REFUSALS,
)
async def release_handoff(
    handoff_id: int,
    request: Request,
    member: ClerkDep,
    db: ConsoleDep,
    loader: LoaderDep,
    channel: ChannelDep,
    replies: RepliesDep,
) -> HandoffSummary | JSONResponse:
    """End the handoff: the person is told, and their next message is the assistant's again. The clerk holding it
    releases it (an admin may release anyone's); a waiting one, any clerk."""
    note = replies("handoff_released")
    try:
        found = await asyncio.to_thread(
            handoffs.release, db, handoff_id, member.username, note, member.can("admin"), utcnow()
        )
    except HandoffError as error:
        await _audit(db, request, member, "handoff.release.refused", handoff_id, error.message)
        return refused(error)
    await _audit(db, request, member, "handoff.release", handoff_id)
    if found.channel == "wechat" and await asyncio.to_thread(handoffs.within_wechat_window, db, found.sender_id):
        with contextlib.suppress(WeChatRequestError):  # a courtesy: the release stands whether WeChat takes it or not
            await channel.send_staff_message(found.sender_id, note)
    return summary(found, loader)


def _clean(text: str) -> str:
    """A reply as sent: control characters removed, personal numbers masked (a clerk reading back an ID number)."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" or ch == "\n" else " " for ch in text)
    return mask(kept.strip())
