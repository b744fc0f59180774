"""The conversation as the console sees it: every message stored with its message id, in the application's
database, whatever the channel (web chat, WeChat), and a person handed to staff while a handoff lasts.

:class:`RecordingDialogue` wraps the dialogue engine behind the channels: the engine answers, then the person's
message and the answers are stored in one transaction, each answer with what it answered (``meta`` from the
actions: item, element, outcome, guide version) and returned with its ``message_id``, which a rating names
(``POST /api/v1/feedback``) and the message stream orders by. A database that fails never fails a turn: the answer
goes out unrecorded (logged).

Human handoff (:mod:`assistant.console.handoffs`): when the engine answers "转人工" (outcome ``handoff``) a handoff
opens, and the action's words (a phone number: no person could be reached before) become the queue's (the phone
line kept as the alternative; outside working hours, when staff will answer and that a phone number may be left).
While the handoff is open or claimed, the person's messages go to staff, stored under it, and are answered with a
short note, not by the engine ("返回助手" goes back to it, "重新开始" starts again; a handoff older than
``handoffs.STALE_AFTER`` ends when the person comes back); a clerk's replies reach the person as pushed messages (``/api/v1/chat/events``,
WeChat's customer-service API). After a clerk releases it, the engine answers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from api.dialogue import BotMessage, Dialogue
from assistant.console import handoffs, messages
from assistant.console.db import Database
from assistant.console.handoffs import BACK_WORDS, HUMAN_WORDS, LEAVE_WORDS, HandoffView, WorkingHours
from assistant.console.messages import Entry
from assistant.console.models import utcnow
from assistant.replies import Replies

log = logging.getLogger(__name__)


class RecordingDialogue:
    """A :class:`~api.dialogue.Dialogue` that stores both sides of every turn and hands people to staff.

    Args:
        inner: the dialogue engine.
        db: the application's database.
        replies: the assistant's sentences with the contacts (and hotline hours) of the catalogue being served.
        clock: now, as an aware datetime (tests choose the hour).
    """

    def __init__(
        self,
        inner: Dialogue,
        db: Database,
        replies: Callable[[], Replies] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.inner = inner
        self.db = db
        if replies is None:
            defaults = Replies.load()
            replies = lambda: defaults  # noqa: E731
        self.replies = replies
        self.clock = clock

    async def ready(self) -> bool:
        return await self.inner.ready()

    async def send(self, sender_id: str, message: str, unmasked: str | None = None) -> list[BotMessage]:
        """Deliver one message of ``sender_id``: to staff while a handoff lasts, otherwise to the engine.

        Args:
            sender_id: the conversation.
            message: the person's text, masked.
            unmasked: the text before masking, read only for a call-back number left after hours (never stored).
        """
        handoff = await self._call(handoffs.active, self.db, sender_id)
        if handoff is not None:
            stale = self.clock() - handoff.created_at > handoffs.STALE_AFTER
            if not stale and message.strip() not in LEAVE_WORDS:
                return await self._to_staff(handoff, message, unmasked)
            await self._call(handoffs.leave, self.db, handoff.id, self.clock())
            if message.strip() in BACK_WORDS:  # back with the assistant, where the conversation was
                await self._flush(sender_id, [(Entry("person", message), None)])
                return [BotMessage(text=self.replies()("handoff_left"), author="system")]  # a note, as to_staff's
        # the person's message and the answers are stored together, in one transaction, once the engine has answered
        pending: list[tuple[Entry, BotMessage | None]] = [(Entry("person", message), None)]
        try:
            answers = await self.inner.send(sender_id, message)
        except Exception:
            await self._flush(sender_id, pending)
            raise
        for answer in answers:
            handoff_id = None
            if (answer.meta or {}).get("outcome") == "handoff":
                await self._flush(sender_id, pending)  # the handoff keeps a transcript ending with the request
                handoff_id = await self._open(sender_id, answer)
            entry = Entry(
                "assistant",
                answer.text,
                meta=answer.meta,
                payload=_payload(answer),
                question=message,
                handoff_id=handoff_id,
            )
            pending.append((entry, answer))
        await self._flush(sender_id, pending)
        return answers

    async def _open(self, sender_id: str, answer: BotMessage) -> int | None:
        """Open the sender's handoff and say so in ``answer`` (left as the action said it when the database fails:
        its phone line is then the way to a person)."""
        replies, now = self.replies(), self.clock()
        hours = WorkingHours.parse(replies.contacts.hotline_hours)
        item_id = (answer.meta or {}).get("item_id")
        opened = await self._call(handoffs.open_handoff, self.db, sender_id, item_id, hours, now)
        if opened is None:
            return None
        if not opened.created:
            answer.text = replies("handoff_waiting")
        else:
            if opened.handoff.after_hours and opened.next_open is not None:
                when = handoffs.describe_moment(opened.next_open, now)
                queued = replies("handoff_queued_after_hours", when=when)
            else:
                queued = replies("handoff_queued")
            # the action's own lines after its first (the item's consultation phone) still help; the first is the
            # phone channel, said again by the queue's words; answering the checklist is no longer what comes next
            dropped = {replies("handoff_in_checklist")}
            kept = [line for line in answer.text.split("\n")[1:] if line.strip() and line not in dropped]
            answer.text = "\n".join([queued, *kept])
        answer.author = "system"
        return opened.handoff.id

    async def _to_staff(self, handoff: HandoffView, message: str, unmasked: str | None) -> list[BotMessage]:
        replies, now = self.replies(), self.clock()
        received = await self._call(handoffs.person_message, self.db, handoff, message, unmasked)
        if received is None:  # not stored: the engine's answer is better than silence
            return await self.inner.send(handoff.sender_id, message)
        when = ""
        if handoff.after_hours and handoff.status == "open":
            hours = WorkingHours.parse(replies.contacts.hotline_hours)
            upcoming = hours.next_open(now) if hours is not None else None
            when = handoffs.describe_moment(upcoming, now) if upcoming else replies.contacts.hotline_hours
        if received.phone is not None:
            text = replies("handoff_phone_taken", phone=handoffs.masked_phone(received.phone), when=when)
        elif message.strip() in HUMAN_WORDS:
            text = replies("handoff_waiting" if handoff.status == "open" else "handoff_serving")
        elif when:
            text = replies("handoff_sent_after_hours", when=when)
        else:
            text = replies("handoff_sent")
        return [BotMessage(text=text, author="system")]

    async def _call(self, function, *args):
        """A database call in a worker thread; None (logged) when it fails: the conversation goes on."""
        try:
            return await asyncio.to_thread(function, *args)
        except Exception:
            log.exception("the console database failed (%s); the conversation goes on", function.__name__)
            return None

    async def _flush(self, sender_id: str, pending: list[tuple[Entry, BotMessage | None]]) -> None:
        """Store the pending messages in one transaction, give each answer among them its message id, and empty the
        list. A database that fails loses the messages (logged), never the turn."""
        if not pending:
            return
        try:
            stored = await asyncio.to_thread(messages.record_all, self.db, sender_id, [entry for entry, _ in pending])
        except Exception:
            log.exception("a turn's chat messages could not be stored; the conversation goes on")
        else:
            for (_, answer), message in zip(pending, stored, strict=True):
                if answer is not None:
                    answer.message_id = message.message_id
        pending.clear()

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


async def deliver(dialogue: Dialogue, sender_id: str, message: str, unmasked: str | None = None) -> list[BotMessage]:
    """Deliver a channel's message: with its unmasked original when the dialogue hands people to staff (a
    call-back number is read from it), as a plain turn otherwise (a test's dialogue)."""
    if isinstance(dialogue, RecordingDialogue):
        return await dialogue.send(sender_id, message, unmasked=unmasked)
    return await dialogue.send(sender_id, message)


# ---------------------------------------------------------------------------------------------------------------
# Server-sent events: a stream derived from the database, so any application process can serve it


POLL_S = 1.0  # how often a stream looks at the database
HEARTBEAT_S = 15.0  # a comment this often keeps proxies and the browser from closing a quiet stream
STREAM_S = 1800.0  # a stream ends after this long; the browser's EventSource reconnects (Last-Event-ID)
RETRY_MS = 3000  # what the browser waits before reconnecting
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering (nginx)


def sse(event: str, data: object, event_id: int | None = None) -> str:
    """One server-sent event: ``event``, ``data`` as JSON on one line, and its ``id`` (the browser sends the last
    one back as ``Last-Event-ID`` when it reconnects)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


async def event_stream(
    poll: Callable[[], Awaitable[list[str]]],
    disconnected: Callable[[], Awaitable[bool]],
    poll_s: float = POLL_S,
    heartbeat_s: float = HEARTBEAT_S,
    lifetime_s: float = STREAM_S,
) -> AsyncIterator[str]:
    """The events ``poll`` finds, each ``poll_s``, with a heartbeat comment, until the client goes away, the
    stream has lasted ``lifetime_s``, or ``poll`` fails (the client reconnects then)."""
    yield f"retry: {RETRY_MS}\n\n"
    started = beat = time.monotonic()
    while time.monotonic() - started < lifetime_s and not await disconnected():
        try:
            events = await poll()
        except Exception:
            log.exception("an event stream could not read the database; the client will reconnect")
            return
        for event in events:
            yield event
        if time.monotonic() - beat >= heartbeat_s:
            beat = time.monotonic()
            yield ": heartbeat\n\n"
        await asyncio.sleep(poll_s)


def _payload(message: BotMessage) -> dict | None:
    payload: dict[str, Any] = {}
    if message.buttons:
        payload["buttons"] = [b.model_dump() for b in message.buttons]
    if message.link:
        payload["link"] = message.link
    return payload or None
