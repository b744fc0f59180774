"""The conversation as the console sees it: every message stored with its message id, in the application's
database, whatever the channel (web chat, WeChat).

:class:`RecordingDialogue` wraps the dialogue engine behind the channels: the person's message is stored, the
engine answers, each answer is stored with what it answered (``meta`` from the actions: item, element, outcome,
guide version) and returned with its ``message_id``, which a rating names (``POST /api/v1/feedback``) and the
message stream orders by. A database that fails never fails a turn: the answer goes out unrecorded (logged).
"""

from __future__ import annotations

import asyncio
import logging

from api.dialogue import BotMessage, Dialogue
from assistant.console import messages
from assistant.console.db import Database

log = logging.getLogger(__name__)


class RecordingDialogue:
    """A :class:`~api.dialogue.Dialogue` that stores both sides of every turn.

    Args:
        inner: the dialogue engine.
        db: the application's database.
    """

    def __init__(self, inner: Dialogue, db: Database):
        self.inner = inner
        self.db = db

    async def ready(self) -> bool:
        return await self.inner.ready()

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        await self._store(sender_id, "person", message)
        answers = await self.inner.send(sender_id, message)
        for answer in answers:
            stored = await self._store(
                sender_id,
                "assistant",
                answer.text,
                meta=answer.meta,
                payload=_payload(answer),
                question=message,
            )
            if stored is not None:
                answer.message_id = stored.message_id
        return answers

    async def _store(self, sender_id: str, author: str, text: str, **kwargs) -> messages.Stored | None:
        try:
            return await asyncio.to_thread(messages.record, self.db, sender_id, author, text, **kwargs)
        except Exception:
            log.exception("a chat message could not be stored; the conversation goes on")
            return None

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


def _payload(message: BotMessage) -> dict | None:
    payload = {}
    if message.buttons:
        payload["buttons"] = [b.model_dump() for b in message.buttons]
    if message.link:
        payload["link"] = message.link
    return payload or None
