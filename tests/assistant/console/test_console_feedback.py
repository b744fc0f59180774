"""好差评 in the database: a rating names an assistant message of its own conversation, keeps what was asked and
answered, masks the person's words, and a second rating of the same message replaces the first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.console import feedback, messages
from assistant.console.db import Database, console_database_url
from assistant.console.models import Feedback

WEB = "w.person-one.sig"
OTHER = "w.person-two.sig"
ANSWER_META = {
    "outcome": "answer",
    "item_id": "resident-id-card-reissue",
    "element": "materials",
    "confidence": 0.91,
    "version": "2026-11-02",
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(console_database_url(tmp_path))
    yield database
    database.close()


def _answered(db: Database, sender: str = WEB, meta: dict | None = None) -> messages.Stored:
    messages.record(db, sender, "person", "身份证丢了怎么补办")
    return messages.record(
        db, sender, "assistant", "补领居民身份证需带户口簿……", meta=meta or ANSWER_META, question="身份证丢了怎么补办"
    )


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Feedback)) or 0


def test_a_rating_keeps_the_question_the_answer_and_what_it_was_about(db: Database) -> None:
    answer = _answered(db)
    rated = feedback.rate(db, WEB, answer.message_id, "good")
    assert (rated.rating, rated.reason, rated.replaced, rated.item_id) == ("good", None, False, ANSWER_META["item_id"])
    row = feedback.rating_of(db, answer.message_id)
    assert row is not None
    assert row.question == "身份证丢了怎么补办" and row.answer.startswith("补领居民身份证")
    assert (row.item_id, row.element, row.guide_version) == ("resident-id-card-reissue", "materials", "2026-11-02")
    assert row.channel == "web" and row.sender_id == WEB


def test_a_bad_rating_keeps_its_reason_and_a_masked_bounded_comment(db: Database) -> None:
    answer = _answered(db)
    comment = "我的身份证号 11010519491231002X，电话 13912345678，" + "太长" * 400
    feedback.rate(db, WEB, answer.message_id, "bad", reason="wrong", text=comment)
    row = feedback.rating_of(db, answer.message_id)
    assert row is not None and (row.rating, row.reason) == ("bad", "wrong")
    assert "11010519491231002X" not in row.text and "13912345678" not in row.text
    assert len(row.text) == feedback.MAX_TEXT


def test_a_second_rating_of_the_same_message_replaces_the_first(db: Database) -> None:
    answer = _answered(db)
    feedback.rate(db, WEB, answer.message_id, "good")
    again = feedback.rate(db, WEB, answer.message_id, "bad", reason="unclear")
    assert again.replaced
    assert _count(db) == 1
    row = feedback.rating_of(db, answer.message_id)
    assert row is not None and (row.rating, row.reason) == ("bad", "unclear")
    feedback.rate(db, WEB, answer.message_id, "good")
    row = feedback.rating_of(db, answer.message_id)
    assert row is not None and (row.rating, row.reason) == ("good", None)


@pytest.mark.parametrize("whose", ["another conversation", "the person's own message", "an id nobody issued"])
def test_only_an_assistant_message_of_the_raters_own_conversation_can_be_rated(db: Database, whose: str) -> None:
    answer = _answered(db)
    person = messages.after(db, WEB)[0]
    sender, message_id = {
        "another conversation": (OTHER, answer.message_id),
        "the person's own message": (WEB, person.message_id),
        "an id nobody issued": (WEB, "no-such-message-id"),
    }[whose]
    with pytest.raises(feedback.MessageNotFound):
        feedback.rate(db, sender, message_id, "good")
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("rating", "reason"),
    [("excellent", None), ("bad", "too_long"), ("good", "wrong")],
    ids=["rating", "reason", "good"],
)
def test_ratings_and_reasons_the_channels_do_not_offer_are_refused(db: Database, rating: str, reason: str) -> None:
    answer = _answered(db)
    with pytest.raises(feedback.FeedbackError):
        feedback.rate(db, WEB, answer.message_id, rating, reason=reason)
    assert _count(db) == 0


def test_a_wechat_rating_rates_the_latest_answer_not_a_later_question_back(db: Database) -> None:
    follower = "wx:oFollower"
    assert feedback.last_rateable(db, follower) is None
    answer = _answered(db, follower)
    messages.record(db, follower, "person", "那要多少钱")
    messages.record(db, follower, "assistant", "您想了解哪个事项的费用？", meta={"outcome": "clarify"})
    assert feedback.last_rateable(db, follower) == answer.message_id
    notice = messages.record(db, follower, "assistant", "告知单……", meta={"outcome": "notice", "item_id": "x"})
    assert feedback.last_rateable(db, follower) == notice.message_id
    feedback.rate(db, follower, notice.message_id, "good")
    assert feedback.rating_of(db, notice.message_id).channel == "wechat"  # type: ignore[union-attr]


def test_rateable_outcomes_are_answers_notices_and_refusals() -> None:
    assert [
        o for o in ("answer", "notice", "out_of_scope", "clarify", "empty", "handoff", None) if feedback.is_rateable(o)
    ] == [
        "answer",
        "notice",
        "out_of_scope",
    ]
