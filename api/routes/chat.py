"""Web chat: one message of a sender in, the assistant's messages out (the widget's only endpoint).

Sender ids are the server's to issue (:mod:`api.senders`): a request without one, or with one this server did not
sign, starts a new conversation under a new id, which the response carries for the client to send next time.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api.deps import DialogueDep, RepliesDep, SettingsDep
from api.dialogue import BotMessage, DialogueUnavailable
from api.senders import SenderIds
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


def get_sender_ids(settings: SettingsDep) -> SenderIds:
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
        messages = await dialogue.send(sender_id, text)
    except DialogueUnavailable as exc:
        raise HTTPException(503, "the dialogue engine is not available yet; try again in a few seconds") from exc
    return ChatResponse(sender_id=sender_id, messages=messages or [BotMessage(text=replies("chat_no_answer"))])
