"""Web chat: one message of a sender in, the assistant's messages out; and, during a human handoff, the clerk's
replies pushed to the widget (``/api/v1/chat/events``, server-sent events) or polled (``/api/v1/chat/messages``).

Sender ids are the server's to issue (:mod:`api.senders`): a request without one, or with one this server did not
sign, starts a new conversation under a new id, which the response carries for the client to send next time.
"""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.conversations import SSE_HEADERS, deliver, event_stream, sse
from api.deps import ConsoleDep, DialogueDep, RepliesDep, SettingsDep
from api.dialogue import BotMessage, DialogueUnavailable
from api.senders import SenderIds
from assistant.console import handoffs
from assistant.console.db import Database
from assistant.console.messages import Stored
from assistant.privacy import mask

router = APIRouter(tags=["chat"])

MAX_MESSAGE_CHARS = 1000  # longer messages are cut: no question about a service needs more


class ChatRequest(BaseModel):
    # no pattern or length to fail: whatever a client kept (an earlier widget's id, a corrupted store) is answered
    # with a new id, never refused, or a widget holding a bad one could never talk again
    sender_id: str | None = Field(
        default=None,
        description="the conversation id the server issued with its last answer (`w.<random>.<signature>`); none, "
        "or any other value, starts a new conversation",
        examples=["w.Y9QLN0Gtw1kShvhlZU-pUCm7.R0IB0OjmqTg9xvt5TwcEqQ"],
    )
    message: str = Field(description="the person's text, or a button's payload")


class ChatResponse(BaseModel):
    sender_id: str = Field(description="the conversation id this answer belongs to: send it with the next message")
    messages: list[BotMessage]


async def get_sender_ids(settings: SettingsDep) -> SenderIds:
    """The issuer of web sender ids, with the deployment's ``CHAT_SECRET``."""
    return SenderIds(settings.chat.secret)


SenderIdsDep = Annotated[SenderIds, Depends(get_sender_ids)]


def clean(message: str) -> str:
    """Control characters removed, length bounded, personal numbers masked (nothing stores them); what is left is
    sent on as typed."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in message)
    return mask(text.strip()[:MAX_MESSAGE_CHARS])


@router.post("/api/v1/chat", summary="Send a chat message", response_model=ChatResponse)
async def chat(body: ChatRequest, dialogue: DialogueDep, replies: RepliesDep, ids: SenderIdsDep) -> ChatResponse:
    """Deliver one message of the conversation ``sender_id`` names; sending a button's ``payload`` chooses that
    option. The response's ``sender_id`` is the conversation's: the one sent when this server issued it, otherwise
    a new one (a fresh conversation), so nobody can drive a conversation whose id they made up, a WeChat
    follower's (``wx:`` ids) included."""
    sender_id = ids.continued(body.sender_id)
    text = clean(body.message)
    if not text:
        return ChatResponse(sender_id=sender_id, messages=[BotMessage(text=replies("chat_empty"))])
    try:
        # the unmasked text is read for a call-back number left during a handoff, never stored
        messages = await deliver(dialogue, sender_id, text, unmasked=body.message)
    except DialogueUnavailable as exc:
        raise HTTPException(503, "the dialogue engine is not available yet; try again in a few seconds") from exc
    return ChatResponse(sender_id=sender_id, messages=messages or [BotMessage(text=replies("chat_no_answer"))])


# ---------------------------------------------------------------------------------------------------------------
# What reaches the person without their asking: a clerk's replies during a handoff, and its notes


class PushedMessage(BaseModel):
    """A message the conversation received other than as the answer to what the person sent."""

    seq: int = Field(description="its place in the conversation: poll with `after=` the last one seen")
    message_id: str
    author: str = Field(description="`clerk` (a member of staff's reply) or `system` (a note: the clerk left)")
    text: str
    clerk: str | None = Field(default=None, description="the member of staff who wrote it (`clerk` messages)")
    created_at: datetime


class PushedMessages(BaseModel):
    sender_id: str
    messages: list[PushedMessage]
    handoff: str | None = Field(
        description="the conversation's handoff: `open` (waiting for staff), `claimed` (a clerk answers), or null "
        "(the assistant answers): poll while it is not null"
    )


def pushed(message: Stored) -> PushedMessage:
    return PushedMessage(
        seq=message.seq,
        message_id=message.message_id,
        author=message.author,
        text=message.text,
        clerk=message.clerk,
        created_at=message.created_at,
    )


SenderQuery = Annotated[str, Query(max_length=128, description="the conversation id the chat's answers carry")]
AfterQuery = Annotated[int, Query(ge=0, le=2**62, description="the last `seq` seen (0: from the start)")]


def _signed(ids: SenderIds, sender_id: str) -> str:
    if not ids.verify(sender_id):
        raise HTTPException(404, "no conversation with this sender_id: use the sender_id the chat's answers carry")
    return sender_id


def _received(db: Database, sender_id: str, after: int) -> tuple[list[Stored], str | None]:
    current = handoffs.active(db, sender_id)
    return handoffs.pushed_after(db, sender_id, after), current.status if current is not None else None


@router.get(
    "/api/v1/chat/messages",
    summary="Poll for a clerk's replies",
    response_model=PushedMessages,
    responses={404: {"description": "A sender id this server did not issue."}},
)
async def chat_messages(sender_id: SenderQuery, db: ConsoleDep, ids: SenderIdsDep, after: AfterQuery = 0):
    """The conversation's messages after ``after`` that did not come as an answer (a clerk's replies during a
    handoff, the note that the clerk has ended it): the same as ``/api/v1/chat/events``, for clients that cannot
    hold a stream open. Only for a sender id this server issued."""
    sender_id = _signed(ids, sender_id)
    found, status = await asyncio.to_thread(_received, db, sender_id, after)
    return PushedMessages(sender_id=sender_id, messages=[pushed(m) for m in found], handoff=status)


@router.get(
    "/api/v1/chat/events",
    summary="A clerk's replies, as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`message` and `handoff` events"},
        404: {"description": "A sender id this server did not issue."},
    },
)
async def chat_events(
    request: Request,
    sender_id: SenderQuery,
    db: ConsoleDep,
    ids: SenderIdsDep,
    after: AfterQuery = 0,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Server-sent events of the conversation: ``message`` (a :class:`PushedMessage`, its ``id`` the ``seq``) for
    each message after ``after`` (or the ``Last-Event-ID`` a reconnecting browser sends) that did not come as an
    answer, and ``handoff`` (``{"status": "open"|"claimed"|null}``) whenever the handoff changes; null means the
    assistant answers again, and the client may close the stream. Only for a sender id this server issued."""
    sender_id = _signed(ids, sender_id)
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    seq, shown = after, "unknown"

    async def poll() -> list[str]:
        nonlocal seq, shown
        found, status = await asyncio.to_thread(_received, db, sender_id, seq)
        events = [sse("message", pushed(m).model_dump(mode="json"), m.seq) for m in found]
        if found:
            seq = found[-1].seq
        if (status or "none") != shown:
            # on connecting, where the conversation stands comes first (a clerk's reply may already be waiting);
            # later, a change comes after the messages that led to it (the clerk's closing note, then null)
            first = shown == "unknown"
            shown = status or "none"
            event = sse("handoff", {"status": status})
            events = [event, *events] if first else [*events, event]
        return events

    return StreamingResponse(
        event_stream(poll, request.is_disconnected), media_type="text/event-stream", headers=SSE_HEADERS
    )
