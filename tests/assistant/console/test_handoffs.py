"""Human handoff's services: open (one per person), claim (one clerk), reply, release; the working hours read from
the catalogue's free text; the call-back number a person leaves after hours, kept only on the handoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.console import handoffs, messages
from assistant.console.db import Database, console_database_url
from assistant.console.handoffs import CHINA, HandoffError, WorkingHours, phone_in

WEB = "w.person.signature"
WEDNESDAY_10 = datetime(2026, 3, 4, 10, 0, tzinfo=CHINA)
WEDNESDAY_20 = datetime(2026, 3, 4, 20, 0, tzinfo=CHINA)
OFFICE = WorkingHours.parse("工作日 9:00-17:00")


@pytest.fixture
def db(tmp_path: Path):
    database = Database.open(console_database_url(tmp_path))
    yield database
    database.close()


def converse(db: Database, sender_id: str = WEB, turns: int = 2) -> None:
    for n in range(turns):
        messages.record(db, sender_id, "person", f"问题{n}")
        messages.record(db, sender_id, "assistant", f"回答{n}", meta={"outcome": "answer", "item_id": "passport"})


# --- open, claim, reply, release ---------------------------------------------------------------------------------


def test_a_handoff_carries_the_conversation_so_far_and_its_item(db: Database) -> None:
    converse(db, turns=15)  # 30 messages: the last 20 travel
    opened = handoffs.open_handoff(db, WEB, item_id="passport", hours=OFFICE, now=WEDNESDAY_10)
    assert opened.created and opened.handoff.status == "open" and not opened.handoff.after_hours
    assert opened.handoff.item_id == "passport" and opened.handoff.channel == "web"
    transcript = opened.handoff.transcript
    assert len(transcript) == handoffs.TRANSCRIPT_MESSAGES
    assert [entry["text"] for entry in transcript[:2]] == ["问题5", "回答5"]
    assert transcript[-1]["text"] == "回答14" and transcript[-1]["author"] == "assistant"
    assert handoffs.get(db, opened.handoff.id).created_at == WEDNESDAY_10  # what analytics reads


def test_one_open_handoff_per_person(db: Database) -> None:
    first = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10)
    again = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10 + timedelta(minutes=1))
    assert not again.created and again.handoff.id == first.handoff.id
    other = handoffs.open_handoff(db, "wx:oOther", now=WEDNESDAY_10)
    assert other.created and other.handoff.channel == "wechat"
    assert [h.id for h in handoffs.listing(db)] == [first.handoff.id, other.handoff.id]


def test_a_second_clerk_cannot_claim_and_only_the_holder_replies(db: Database) -> None:
    handoff = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10).handoff
    with pytest.raises(HandoffError) as unclaimed:
        handoffs.reply(db, handoff.id, "wang", "您好")
    assert unclaimed.value.status == 409 and unclaimed.value.code == "not_claimed"

    claimed = handoffs.claim(db, handoff.id, "wang", now=WEDNESDAY_10 + timedelta(minutes=3))
    assert claimed.status == "claimed" and claimed.claimed_by == "wang"
    assert claimed.claimed_at == WEDNESDAY_10 + timedelta(minutes=3)
    assert handoffs.claim(db, handoff.id, "wang").claimed_by == "wang"  # claiming again is harmless
    with pytest.raises(HandoffError) as second:
        handoffs.claim(db, handoff.id, "li")
    assert second.value.status == 409 and second.value.code == "claimed_by_other"
    with pytest.raises(HandoffError) as not_holder:
        handoffs.reply(db, handoff.id, "li", "我来回答")
    assert not_holder.value.code == "claimed_by_other"

    first = handoffs.reply(db, handoff.id, "wang", "您好，请讲", now=WEDNESDAY_10 + timedelta(minutes=4))
    handoffs.reply(db, handoff.id, "wang", "还有吗", now=WEDNESDAY_10 + timedelta(minutes=9))
    assert first.author == "clerk" and first.handoff_id == handoff.id and first.payload == {"clerk": "wang"}
    assert handoffs.get(db, handoff.id).first_reply_at == WEDNESDAY_10 + timedelta(minutes=4)  # the first stays
    assert [m.text for m in handoffs.pushed_after(db, WEB, 0)] == ["您好，请讲", "还有吗"]


def test_release_tells_the_person_and_frees_them_for_the_assistant(db: Database) -> None:
    handoff = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10).handoff
    handoffs.claim(db, handoff.id, "wang")
    with pytest.raises(HandoffError) as other:
        handoffs.release(db, handoff.id, "li", "结束")
    assert other.value.code == "claimed_by_other"
    released = handoffs.release(db, handoff.id, "li", "工作人员已结束", may_override=True, now=WEDNESDAY_20)
    assert released.status == "released" and released.closed_at == WEDNESDAY_20
    assert handoffs.active(db, WEB) is None
    assert [(m.author, m.text) for m in handoffs.pushed_after(db, WEB, 0)] == [("system", "工作人员已结束")]
    with pytest.raises(HandoffError) as twice:
        handoffs.release(db, handoff.id, "wang", "结束")
    assert twice.value.code == "released"
    with pytest.raises(HandoffError) as late:
        handoffs.claim(db, handoff.id, "wang")
    assert late.value.code == "released"
    assert handoffs.open_handoff(db, WEB).created  # asking again opens a new one
    with pytest.raises(HandoffError) as missing:
        handoffs.claim(db, 9999, "wang")
    assert missing.value.status == 404


def test_a_handoff_never_ends_without_its_note_to_the_person(db: Database, monkeypatch) -> None:
    # the widget stops listening once it sees the handoff end: the end and the note telling the person are one
    # change, so a note that cannot be stored leaves the handoff with its clerk (and the clerk can try again)
    handoff = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10).handoff
    handoffs.claim(db, handoff.id, "wang")

    def full_disk() -> str:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(messages, "new_message_id", full_disk)
        with pytest.raises(OSError):
            handoffs.release(db, handoff.id, "wang", "工作人员已结束")
    still = handoffs.active(db, WEB)
    assert still is not None and still.status == "claimed"
    assert handoffs.pushed_after(db, WEB, 0) == []
    handoffs.release(db, handoff.id, "wang", "工作人员已结束")
    assert handoffs.active(db, WEB) is None
    assert [m.text for m in handoffs.pushed_after(db, WEB, 0)] == ["工作人员已结束"]


def test_the_persons_messages_during_a_handoff_belong_to_it(db: Database) -> None:
    handoff = handoffs.open_handoff(db, WEB, now=WEDNESDAY_10).handoff
    received = handoffs.person_message(db, handoff, "我的护照过期了")
    assert received.phone is None
    found = handoffs.get(db, handoff.id, with_messages=True)
    assert [(m.author, m.text) for m in found.messages] == [("person", "我的护照过期了")]
    assert found.last_seq == received.message.seq


def test_a_wechat_reply_is_refused_after_48_hours_of_silence(db: Database) -> None:
    follower = "wx:oFollower"
    messages.record(db, follower, "person", "转人工")
    handoff = handoffs.open_handoff(db, follower).handoff
    handoffs.claim(db, handoff.id, "wang")
    assert handoffs.check_reply(db, handoff.id, "wang").channel == "wechat"
    with pytest.raises(HandoffError) as closed:
        handoffs.check_reply(db, handoff.id, "wang", now=datetime.now(CHINA) + timedelta(hours=49))
    assert closed.value.status == 422 and closed.value.code == "wechat_window"
    assert "call them back" in closed.value.message


# --- working hours -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment", "open_now"),
    [
        ("工作日 9:00-17:00", WEDNESDAY_10, True),
        ("工作日 9:00-17:00", WEDNESDAY_20, False),
        ("工作日 9:00-17:00", datetime(2026, 3, 7, 10, tzinfo=CHINA), False),  # Saturday
        ("周一至周日 8:00-20:00", datetime(2026, 3, 7, 10, tzinfo=CHINA), True),
        ("工作日 9:00-12:00、13:30-17:00", datetime(2026, 3, 4, 12, 30, tzinfo=CHINA), False),  # lunch
        ("工作日 9:00-12:00、13:30-17:00", datetime(2026, 3, 4, 13, 30, tzinfo=CHINA), True),
        ("工作日 9:00-17:00，周六 9:00-12:00", datetime(2026, 3, 7, 11, tzinfo=CHINA), True),
        ("每天9点-17点", datetime(2026, 3, 8, 16, 59, tzinfo=CHINA), True),
        ("24小时", WEDNESDAY_20, True),
    ],
)
def test_working_hours_read_from_the_catalogues_words(text: str, moment: datetime, open_now: bool) -> None:
    hours = WorkingHours.parse(text)
    assert hours is not None and hours.is_open(moment) is open_now


def test_working_hours_are_beijing_time_whatever_the_moments_zone() -> None:
    assert OFFICE is not None
    assert OFFICE.is_open(datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    assert not OFFICE.is_open(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))  # 18:00 in Beijing


def test_the_next_opening_after_hours() -> None:
    assert OFFICE is not None
    assert OFFICE.next_open(WEDNESDAY_20) == datetime(2026, 3, 5, 9, 0, tzinfo=CHINA)
    friday_evening = datetime(2026, 3, 6, 18, 0, tzinfo=CHINA)
    assert OFFICE.next_open(friday_evening) == datetime(2026, 3, 9, 9, 0, tzinfo=CHINA)  # Monday
    assert handoffs.describe_moment(OFFICE.next_open(WEDNESDAY_20), WEDNESDAY_20) == "明天 9:00"
    assert handoffs.describe_moment(OFFICE.next_open(friday_evening), friday_evening) == "3月9日（周一）9:00"
    early = datetime(2026, 3, 4, 7, 30, tzinfo=CHINA)
    assert handoffs.describe_moment(OFFICE.next_open(early), early) == "今天 9:00"


@pytest.mark.parametrize("text", ["", "另行通知", "工作日"])
def test_hours_nobody_can_read_mean_no_after_hours(text: str) -> None:
    assert WorkingHours.parse(text) is None


def test_a_handoff_outside_working_hours_says_when_staff_answer(db: Database) -> None:
    opened = handoffs.open_handoff(db, WEB, hours=OFFICE, now=WEDNESDAY_20)
    assert opened.handoff.after_hours
    assert opened.next_open == datetime(2026, 3, 5, 9, 0, tzinfo=CHINA)


# --- the call-back number ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13912345678", "13912345678"),
        ("我的手机号是 139-1234-5678，谢谢", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("010-12345678", "010-12345678"),
        ("（0755）87654321", "0755-87654321"),
        ("电话：0755-87654321转123", "0755-87654321转123"),
        ("身份证丢了怎么办", None),
        ("身份证丢了，能打13912345678问吗", None),  # a question with a number in it
        ("13912345678 或 13812345678", None),  # two numbers: which one?
        ("12345", None),
    ],
)
def test_a_message_that_is_a_phone_number(text: str, phone: str | None) -> None:
    assert phone_in(text) == phone


def test_a_number_left_after_hours_is_kept_for_the_claiming_clerk_only(db: Database) -> None:
    handoff = handoffs.open_handoff(db, WEB, hours=OFFICE, now=WEDNESDAY_20).handoff
    received = handoffs.person_message(db, handoff, "***********", unmasked="13912345678")
    assert received.phone == "13912345678"
    landline = handoffs.open_handoff(db, "w.other.person", hours=OFFICE, now=WEDNESDAY_20).handoff
    left = handoffs.person_message(db, landline, "请回电 010-12345678")
    assert left.phone == "010-12345678" and "12345678" not in left.message.text  # masked in the message itself

    listed = handoffs.listing(db, viewer="wang")[0]
    assert listed.has_phone and listed.phone is None  # the list says only that a number was left
    assert handoffs.claim(db, handoff.id, "wang").phone == "13912345678"
    assert handoffs.get(db, handoff.id, "li").phone is None  # another clerk does not see it
    assert handoffs.get(db, handoff.id, "wang").phone == "13912345678"
    stored = handoffs.get(db, handoff.id, "wang", with_messages=True).messages
    assert "13912345678" not in stored[0].text and "13912345678" not in str(stored[0].payload)
    assert handoffs.masked_phone("13912345678") == "139****5678"


def test_a_number_is_taken_only_while_an_after_hours_handoff_waits(db: Database) -> None:
    in_hours = handoffs.open_handoff(db, WEB, hours=OFFICE, now=WEDNESDAY_10).handoff
    assert handoffs.person_message(db, in_hours, "***", unmasked="13912345678").phone is None
    late = handoffs.open_handoff(db, "w.late.person", hours=OFFICE, now=WEDNESDAY_20).handoff
    handoffs.claim(db, late.id, "wang")
    claimed = handoffs.get(db, late.id)
    assert handoffs.person_message(db, claimed, "***", unmasked="13912345678").phone is None
