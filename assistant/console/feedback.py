"""好差评: a person's rating of one of the assistant's answers or 告知单, from the widget or WeChat.

A rating names the message it rates (its ``message_id``) and is accepted only from the conversation the message
was sent to: the caller checks who is asking (the web's signed sender id, WeChat's signed callback), this module
checks that the message is an assistant message of that conversation. One rating per message: a second one
replaces the first (a person who pressed 满意 by mistake can still say 不满意). The rating is stored with what was
asked and answered, about which item, element and guide version (copied from the message), so that editors read
a bad rating with its context; the person's own words are masked and bounded.

Example:
    >>> rate(db, "w.x.y", message_id, "bad", reason="wrong", text="电话打不通")    # doctest: +SKIP
    Rated(message_id='…', rating='bad', reason='wrong', replaced=False, item_id='id-card-replacement')
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.console.db import Database
from assistant.console.models import Feedback, Message, utcnow
from assistant.privacy import mask

GOOD, BAD = "good", "bad"
RATINGS = (GOOD, BAD)
RATING_NAMES = {GOOD: "满意", BAD: "不满意"}
REASONS = {
    "not_answered": "没回答我的问题",
    "wrong": "信息有误",
    "unclear": "看不懂",
    "other": "其他",
}
"""Why an answer was not satisfying: key -> what the person is shown (in this order, in both channels)."""

RATEABLE_OUTCOMES = frozenset({"answer", "notice", "out_of_scope"})
"""The assistant messages offered for rating: answers, 告知单 and refusals (a refusal rated 没回答我的问题 is
exactly what the unanswered queue wants to hear); not its questions back (clarifications, a checklist's 情形
questions), which answer nothing yet."""

MAX_TEXT = 500  # characters of a person's comment kept: enough for what went wrong, not a letter
RECENT_MESSAGES = 20  # how far back a WeChat rating looks for the answer it rates


class FeedbackError(ValueError):
    """A rating that cannot be taken as sent (the message says what to send instead)."""


class MessageNotFound(LookupError):
    """No assistant message with this id in this conversation (a wrong id, another person's message, or the
    person's own message)."""


@dataclass(frozen=True)
class Rated:
    """A stored rating.

    Attributes:
        message_id: the message rated.
        rating: ``good`` or ``bad``.
        reason: why not (a key of :data:`REASONS`), for a bad rating.
        replaced: an earlier rating of the same message was replaced.
        item_id: the item the message was about.
    """

    message_id: str
    rating: str
    reason: str | None
    replaced: bool
    item_id: str | None


def is_rateable(outcome: str | None) -> bool:
    """True for the outcomes of messages a person is offered to rate (:data:`RATEABLE_OUTCOMES`).

    Example:
        >>> is_rateable("answer"), is_rateable("clarify"), is_rateable(None)
        (True, False, False)
    """
    return outcome in RATEABLE_OUTCOMES


def check(rating: str, reason: str | None) -> None:
    """Refuse a rating or reason the two channels do not offer.

    Raises:
        FeedbackError: an unknown rating, an unknown reason, or a reason with a good rating.
    """
    if rating not in RATINGS:
        raise FeedbackError(f"rating must be 'good' or 'bad', not {rating!r}")
    if reason is not None and reason not in REASONS:
        raise FeedbackError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")
    if reason is not None and rating == GOOD:
        raise FeedbackError("a reason goes with a bad rating only")


def clean_text(text: str | None) -> str | None:
    """A person's comment: control characters dropped, personal numbers masked, at most :data:`MAX_TEXT`
    characters; None when nothing is left."""
    if not text:
        return None
    kept = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text).strip()
    return mask(kept)[:MAX_TEXT] or None


def rate(
    db: Database,
    sender_id: str,
    message_id: str,
    rating: str,
    reason: str | None = None,
    text: str | None = None,
) -> Rated:
    """Store ``sender_id``'s rating of the assistant message ``message_id``, replacing an earlier one.

    Args:
        db: the application's database.
        sender_id: the conversation the rating comes from (already checked by the channel).
        message_id: the message rated.
        rating: ``good`` or ``bad``.
        reason: for a bad rating, a key of :data:`REASONS` (None: not given, or not yet on WeChat).
        text: the person's comment (masked and bounded here).

    Returns:
        What was stored.

    Raises:
        FeedbackError: the rating or reason is not one offered.
        MessageNotFound: no assistant message ``message_id`` in the conversation ``sender_id``.
    """
    check(rating, reason)
    comment = clean_text(text)
    try:
        return _store(db, sender_id, message_id, rating, reason, comment)
    except IntegrityError:
        # the same message rated twice at the same moment (a double tap): the other one is there now, replace it
        return _store(db, sender_id, message_id, rating, reason, comment)


def _store(
    db: Database, sender_id: str, message_id: str, rating: str, reason: str | None, comment: str | None
) -> Rated:
    with db.session() as session:
        message = session.scalar(
            select(Message).where(
                Message.message_id == message_id, Message.sender_id == sender_id, Message.author == "assistant"
            )
        )
        if message is None:
            raise MessageNotFound(f"no assistant message {message_id!r} in this conversation")
        row = session.scalar(select(Feedback).where(Feedback.message_id == message_id))
        replaced = row is not None
        if row is None:
            row = Feedback(message_id=message_id, sender_id=sender_id, channel=message.channel)
            session.add(row)
        row.rating = rating
        row.reason = reason if rating == BAD else None
        row.text = comment
        row.question = message.question
        row.answer = message.text
        row.item_id = message.item_id
        row.element = message.element
        row.guide_version = message.guide_version
        row.created_at = utcnow()  # the latest rating's moment: analytics count it on the day it was given
        session.flush()
        return Rated(message_id, rating, row.reason, replaced, message.item_id)


def last_rateable(db: Database, sender_id: str, within: int = RECENT_MESSAGES) -> str | None:
    """The message id of the conversation's latest rateable assistant message among its last ``within`` messages
    (what a WeChat follower's "好评" rates), None when there is none."""
    with db.session() as session:
        rows = session.execute(
            select(Message.author, Message.outcome, Message.message_id)
            .where(Message.sender_id == sender_id)
            .order_by(Message.id.desc())
            .limit(within)
        ).all()
    for author, outcome, message_id in rows:
        if author == "assistant" and is_rateable(outcome):
            return message_id
    return None


def rating_of(db: Database, message_id: str) -> Feedback | None:
    """The rating of a message, None when it has none."""
    with db.session() as session:
        return session.scalar(select(Feedback).where(Feedback.message_id == message_id))
