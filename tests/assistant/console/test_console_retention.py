"""Retention of the console's records: people's words (messages, handoff transcripts and call-back numbers,
ratings) go after the conversations' period, the audit log after the log period, nothing newer is touched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from assistant.console.db import Database, console_database_url
from assistant.console.models import AuditEntry, Feedback, Handoff, Message, utcnow
from assistant.console.retention import prune
from assistant.serving.retention import prune_console

NOW = utcnow()


def _fill(db: Database) -> None:
    with db.session() as session:
        for age in (1, 200):
            at = NOW - timedelta(days=age)
            session.add(
                Message(
                    message_id=f"m{age}", sender_id="w.a.b", channel="web", author="person", text="问", created_at=at
                )
            )
            session.add(Handoff(sender_id="w.a.b", channel="web", phone="13800138000", created_at=at))
            session.add(Feedback(message_id=f"m{age}", sender_id="w.a.b", channel="web", rating="bad", created_at=at))
        for age in (1, 185, 200):
            session.add(AuditEntry(username="wang", action="lookup", at=NOW - timedelta(days=age)))


def _count(db: Database, model) -> int:
    with db.session() as session:
        return session.query(model).count()


def test_old_words_go_and_the_audit_log_stays_six_months(tmp_path: Path) -> None:
    db = Database.open(console_database_url(tmp_path))
    _fill(db)
    pruned = prune(db, conversation_days=180, log_days=190, now=NOW)
    assert (pruned.messages, pruned.handoffs, pruned.ratings, pruned.audit) == (1, 1, 1, 1)
    assert [_count(db, m) for m in (Message, Handoff, Feedback, AuditEntry)] == [1, 1, 1, 2]
    with db.session() as session:  # the call-back number left 200 days ago is gone with its handoff
        assert [h.phone for h in session.query(Handoff)] == ["13800138000"]
        assert min(e.at for e in session.query(AuditEntry)) < NOW - timedelta(days=184)
    assert not prune(db, conversation_days=180, log_days=190, now=NOW)  # nothing more to do
    db.close()


def test_a_database_the_server_has_not_created_is_nothing_to_do(tmp_path: Path) -> None:
    assert not prune_console(console_database_url(tmp_path), 180, 190)


def test_periods_below_a_day_are_refused(tmp_path: Path) -> None:
    db = Database.open(console_database_url(tmp_path))
    with pytest.raises(ValueError, match="at least one day"):
        prune(db, 0, 190)
    db.close()
