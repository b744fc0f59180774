"""Every chat message, both ways, with a message id the person's client can rate and poll by.

The person's messages arrive masked (the channels mask before anything is stored); the assistant's carry what the
dialogue said it answered (``meta``: item, element, outcome, confidence, guide version), which ratings, the
unanswered queue and analytics read.

Example:
    >>> record(db, "w.x.y", "web", "person", "身份证丢了怎么办")          # doctest: +SKIP
    >>> after(db, "w.x.y", 0)                                             # doctest: +SKIP
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.console.db import Database
from assistant.console.models import Message

AUTHORS = ("person", "assistant", "clerk", "system")


def channel_of(sender_id: str) -> str:
    """``wechat`` for a WeChat follower's conversation (``wx:`` ids), ``web`` otherwise."""
    return "wechat" if sender_id.startswith("wx:") else "web"


def new_message_id() -> str:
    """A message id: 22 URL-safe random characters, unguessable (a rating names the message it rates)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Stored:
    """A stored message, as the channels and the console read it."""

    seq: int  # the conversation's order (``after=`` in the API)
    message_id: str
    sender_id: str
    channel: str
    author: str
    text: str
    payload: dict[str, Any] | None
    item_id: str | None
    element: str | None
    outcome: str | None
    created_at: datetime
    handoff_id: int | None = None

    @property
    def clerk(self) -> str | None:
        """The member of staff who wrote a ``clerk`` message (None for any other)."""
        name = (self.payload or {}).get("clerk")
        return name if isinstance(name, str) else None

    @classmethod
    def of(cls, row: Message) -> Stored:
        return cls(
            seq=row.id,
            message_id=row.message_id,
            sender_id=row.sender_id,
            channel=row.channel,
            author=row.author,
            text=row.text,
            payload=row.payload,
            item_id=row.item_id,
            element=row.element,
            outcome=row.outcome,
            created_at=row.created_at,
            handoff_id=row.handoff_id,
        )


def record(
    db: Database,
    sender_id: str,
    author: str,
    text: str,
    *,
    meta: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    question: str | None = None,
    handoff_id: int | None = None,
) -> Stored:
    """Store one message and return it with its message id.

    Args:
        db: the application's database.
        sender_id: the conversation.
        author: ``person``, ``assistant``, ``clerk`` or ``system``.
        text: the text, already masked.
        meta: what an assistant message answered: ``outcome`` (answer, clarify, out_of_scope, empty, notice,
            handoff), ``item_id``, ``element``, ``confidence``, ``version``.
        payload: buttons and link as the channel shows them.
        question: the person's message an assistant message answers.
        handoff_id: the handoff the message belongs to.
    """
    (stored,) = record_all(
        db, sender_id, [Entry(author, text, meta=meta, payload=payload, question=question, handoff_id=handoff_id)]
    )
    return stored


@dataclass(frozen=True)
class Entry:
    """A message to store (:func:`record` says what each field is)."""

    author: str
    text: str
    meta: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    question: str | None = None
    handoff_id: int | None = None


def record_all(db: Database, sender_id: str, entries: list[Entry]) -> list[Stored]:
    """Store a turn's messages (the person's and the answers) in one transaction, in order; each with its id."""
    with db.session() as session:
        return add(session, sender_id, entries)


def add(session: Session, sender_id: str, entries: list[Entry]) -> list[Stored]:
    """Add messages to an open transaction, in order; each with its id. For a change that must be seen together
    with its message: a poll that finds the handoff released finds the note that tells the person so."""
    rows = []
    for entry in entries:
        if entry.author not in AUTHORS:
            raise ValueError(f"author must be one of {AUTHORS}, not {entry.author!r}")
        meta = entry.meta or {}
        rows.append(
            Message(
                message_id=new_message_id(),
                sender_id=sender_id,
                channel=channel_of(sender_id),
                author=entry.author,
                text=entry.text,
                payload=entry.payload or None,
                item_id=meta.get("item_id"),
                element=meta.get("element"),
                outcome=meta.get("outcome"),
                confidence=meta.get("confidence"),
                guide_version=meta.get("version"),
                question=entry.question,
                handoff_id=entry.handoff_id,
            )
        )
    session.add_all(rows)
    session.flush()
    return [Stored.of(row) for row in rows]


def after(db: Database, sender_id: str, seq: int = 0, limit: int = 100) -> list[Stored]:
    """The conversation's messages after ``seq`` (0: from the start), oldest first, at most ``limit``."""
    with db.session() as session:
        rows = session.scalars(
            select(Message).where(Message.sender_id == sender_id, Message.id > seq).order_by(Message.id).limit(limit)
        )
        return [Stored.of(row) for row in rows]


def recent(db: Database, sender_id: str, limit: int = 20) -> list[Stored]:
    """The conversation's last ``limit`` messages, oldest first (a handoff's transcript)."""
    with db.session() as session:
        rows = session.scalars(
            select(Message).where(Message.sender_id == sender_id).order_by(Message.id.desc()).limit(limit)
        )
        return [Stored.of(row) for row in reversed(list(rows))]


def find(db: Database, message_id: str) -> Message | None:
    """The message with this id (None when there is none)."""
    with db.session() as session:
        return session.scalar(select(Message).where(Message.message_id == message_id))
