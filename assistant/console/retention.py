"""Retention of the console's records: what people wrote goes with the conversations, the audit log stays as long
as the operational log.

Chat messages, handoffs (their transcripts and any call-back number) and ratings (which quote the question and
the answer) are deleted after ``CONVERSATION_RETENTION_DAYS``, like the dialogue's own conversations; the audit
log after ``LOG_RETENTION_DAYS`` (at least six months: 等保 and the Cybersecurity Law, article 21); expired staff
sessions at once. The editors' decisions on unanswered questions hold no one's words but the masked question the
group is known by, and are kept. :mod:`assistant.serving.retention` runs :func:`prune` with the tracker store's
retention, at ``serve`` start and every six hours, and ``assistant retention`` runs it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, inspect

from assistant.console import audit as audit_log
from assistant.console.db import Database
from assistant.console.models import Feedback, Handoff, Message, StaffSession, utcnow


@dataclass(frozen=True)
class Pruned:
    """How many rows a pass deleted, by kind."""

    messages: int = 0
    handoffs: int = 0
    ratings: int = 0
    audit: int = 0

    def __str__(self) -> str:
        return (
            f"{self.messages} chat messages, {self.handoffs} handoffs, {self.ratings} ratings, "
            f"{self.audit} audit entries"
        )

    def __bool__(self) -> bool:
        return any((self.messages, self.handoffs, self.ratings, self.audit))


def prune(db: Database, conversation_days: int, log_days: int, now: datetime | None = None) -> Pruned:
    """Delete what is older than its retention period.

    Args:
        db: the application's database (opened without migrating is fine: a database the server has not created
            yet has nothing to delete).
        conversation_days: messages, handoffs and ratings older than this many days are deleted.
        log_days: audit entries older than this many days are deleted.
        now: the moment to count from (default: now).

    Raises:
        ValueError: a conversation period below one day, an audit period below six months.
        sqlalchemy.exc.OperationalError: the database cannot be reached.
    """
    if conversation_days < 1:
        raise ValueError("retention periods are at least one day")
    now = now or utcnow()
    talk = now - timedelta(days=conversation_days)
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(Message.__tablename__):
            return Pruned()
    with db.session() as session:
        messages = session.execute(delete(Message).where(Message.created_at < talk)).rowcount
        handoffs = session.execute(delete(Handoff).where(Handoff.created_at < talk)).rowcount
        ratings = session.execute(delete(Feedback).where(Feedback.created_at < talk)).rowcount
        session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    return Pruned(messages, handoffs, ratings, audit_log.prune(db, log_days, now))
