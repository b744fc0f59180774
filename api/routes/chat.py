"""Web chat: one message of a sender in, the assistant's messages out (the widget's only endpoint)."""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import DialogueDep, RepliesDep
from api.dialogue import BotMessage, DialogueUnavailable
from api.wechat import SENDER_PREFIX
from assistant.privacy import mask

router = APIRouter(tags=["chat"])

MAX_MESSAGE_CHARS = 1000  # longer messages are cut: no question about a service needs more


class ChatRequest(BaseModel):
    sender_id: str = Field(
        min_length=1, max_length=128, pattern=r"^[\w:.@-]+$", description="conversation id (kept by the client)"
    )
    message: str = Field(description="the person's text, or a button's payload")


class ChatResponse(BaseModel):
    messages: list[BotMessage]


def clean(message: str) -> str:
    """Control characters removed, length bounded, personal numbers masked (nothing stores them); what is left is
    sent on as typed."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in message)
    return mask(text.strip()[:MAX_MESSAGE_CHARS])


@router.post("/api/v1/chat", summary="Send a chat message", response_model=ChatResponse)
async def chat(body: ChatRequest, dialogue: DialogueDep, replies: RepliesDep) -> ChatResponse:
    """Deliver one message of ``sender_id``'s conversation; sending a button's ``payload`` chooses that option.
    A WeChat follower's conversation (``wx:`` ids) is not the web's to drive: 422."""
    if body.sender_id.startswith(SENDER_PREFIX):
        raise HTTPException(422, f"sender ids starting with {SENDER_PREFIX!r} belong to the WeChat channel")
    text = clean(body.message)
    if not text:
        return ChatResponse(messages=[BotMessage(text=replies("chat_empty"))])
    try:
        messages = await dialogue.send(body.sender_id, text)
    except DialogueUnavailable as exc:
        raise HTTPException(503, "the dialogue engine is not available yet; try again in a few seconds") from exc
    return ChatResponse(messages=messages or [BotMessage(text=replies("chat_no_answer"))])
