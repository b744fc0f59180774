"""Human handoff: a person handed from the assistant to a member of staff, and back.

A handoff opens when the dialogue answers "转人工" (meta outcome ``handoff``): it carries the conversation so far
(the last :data:`TRANSCRIPT_MESSAGES` messages, masked as stored) and the item being discussed. A sender has at
most one handoff ``open`` (waiting) or ``claimed`` (a clerk answers) at a time; while it lasts, the person's
messages are stored under it for staff instead of going to the dialogue. A clerk claims it (one clerk: a second
claim is refused), replies, and releases it back to the assistant.

Outside the working hours of the deployment's hotline (``contacts.hotline_hours`` of ``catalogue.yaml``, read by
:class:`WorkingHours`, Beijing time) the handoff is marked ``after_hours`` and the person may leave a phone number
for a call-back: the one personal datum stored unmasked (:attr:`~assistant.console.models.Handoff.phone`), shown
only to the clerk who claims the handoff, masked in the stored message itself.

Every moment is passed in (``now``) so that tests choose the hour; the channels pass :func:`models.utcnow`.

Example:
    >>> opened = open_handoff(db, "w.x.y", item_id="passport", hours=WorkingHours.parse("工作日 9:00-17:00"))
    ...                                                                     # doctest: +SKIP
    >>> claim(db, opened.handoff.id, "wang")                               # doctest: +SKIP
    >>> reply(db, opened.handoff.id, "wang", "您好，请问您想了解护照的哪方面？")  # doctest: +SKIP
    >>> release(db, opened.handoff.id, "wang")                             # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from assistant.console import messages
from assistant.console.db import Database
from assistant.console.models import Handoff, Message, utcnow

ACTIVE = ("open", "claimed")
STATUSES = ("open", "claimed", "released")
TRANSCRIPT_MESSAGES = 20  # the conversation a handoff carries: enough for the clerk to see what went before
WECHAT_WINDOW = timedelta(hours=48)  # WeChat lets an account message a follower within 48 h of their last message
CHINA = ZoneInfo("Asia/Shanghai")  # working hours are the hotline's, in Beijing time
RECENTLY_CLOSED = timedelta(hours=12)  # a released handoff stays in the inbox's stream this long

# what people type to ask for a person (the widget's 转人工 button sends the first); typed again during a handoff
# it means "I am still waiting", not a message for the clerk
HUMAN_WORDS = frozenset({"转人工", "人工", "人工服务", "人工客服", "转人工服务", "找人工", "我要人工", "/ask_human"})
# typed during a handoff, these leave it: the first start again with the assistant (the engine restarts), the
# others go back to it where the conversation was (the queue's and the notes' words name "返回助手")
RESTART_WORDS = frozenset({"/restart", "重新开始"})
BACK_WORDS = frozenset({"返回助手", "回到助手", "返回智能助手", "取消人工", "取消转人工", "不用人工了", "退出人工"})
LEAVE_WORDS = RESTART_WORDS | BACK_WORDS
# a handoff this old is over when the person comes back: nobody answered, or the clerk forgot to hand back; the
# returning person's question goes to the assistant, not to a queue nobody reads
STALE_AFTER = timedelta(days=3)


class HandoffError(Exception):
    """A clerk's action that cannot be done; ``status`` is the HTTP status that says so (404, 409, 422).

    Args:
        status: 404 (no such handoff), 409 (its state forbids the action), 422 (WeChat's window closed).
        code: a stable name of the reason (``not_found``, ``claimed_by_other``, ``not_claimed``, ``released``,
            ``changed``, ``wechat_window``), which the inbox turns into its own words.
        message: what is wrong and what to do.
    """

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _not_found(handoff_id: int) -> HandoffError:
    return HandoffError(404, "not_found", f"no handoff {handoff_id}")


# ---------------------------------------------------------------------------------------------------------------
# Working hours


_DAY_NAMES = "一二三四五六日"
WEEKDAY_NAMES = tuple(f"周{name}" for name in _DAY_NAMES)  # Monday first, as datetime.weekday() counts
_DAY = r"(?:周|星期|礼拜)([一二三四五六日天七])"
_DAY_RANGE = re.compile(_DAY + r"(?:\s*[至到~～\-—–－]\s*(?:周|星期|礼拜)?([一二三四五六日天七]))?")
_DAY_WORDS = re.compile(r"工作日|周末|双休日|每天|每日|全年|节假日")
_TIME_RANGE = re.compile(
    r"(\d{1,2})(?:[:：](\d{2})|[点时](?:(\d{1,2})分?)?)\s*[至到~～\-—–－]\s*(\d{1,2})(?:[:：](\d{2})|[点时](?:(\d{1,2})分?)?)"
)
_ALWAYS = re.compile(r"24\s*小时|全天候|7\s*[×xX*]\s*24")


def _day_number(name: str) -> int:
    return 6 if name in "日天七" else _DAY_NAMES.index(name)


@dataclass(frozen=True)
class WorkingHours:
    """When staff answer: per weekday (0 is Monday), minute ranges of the day, in Beijing time.

    Read from the free text of ``contacts.hotline_hours``: day words (工作日, 周末, 每天, 周一至周五, 周六 …)
    followed by time ranges (9:00-17:00, 8:30-12:00、13:30-17:00, 9点-17点); a time range applies to the days
    named before it (every day when none is). "24小时" means always. Public holidays and the weekends worked in
    their place (调休) are not known: 工作日 is Monday to Friday.

    Example:
        >>> hours = WorkingHours.parse("工作日 9:00-12:00、13:30-17:00，周六 9:00-12:00")
        >>> hours.is_open(datetime(2026, 3, 4, 10, 0, tzinfo=CHINA)), hours.is_open(datetime(2026, 3, 8, 10, tzinfo=CHINA))
        (True, False)
        >>> hours.next_open(datetime(2026, 3, 7, 12, 30, tzinfo=CHINA))   # Saturday after noon -> Monday 9:00
        datetime.datetime(2026, 3, 9, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
    """

    text: str
    ranges: tuple[tuple[tuple[int, int], ...], ...]  # seven tuples of (start, end) minutes, Monday first
    always: bool = False

    @classmethod
    def parse(cls, text: str | None) -> WorkingHours | None:
        """The hours a text names; None when it names none this reader understands (empty, "另行通知")."""
        text = (text or "").strip()
        if not text:
            return None
        if _ALWAYS.search(text):
            return cls(text, tuple(((0, 24 * 60),) for _ in range(7)), always=True)
        days: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
        current: set[int] = set(range(7))
        found = False
        position = 0
        while position < len(text):
            words = _DAY_WORDS.match(text, position)
            named = _DAY_RANGE.match(text, position)
            times = _TIME_RANGE.match(text, position)
            if words:
                current = _days_of_word(words.group())
                position = words.end()
            elif named:
                first = _day_number(named.group(1))
                last = _day_number(named.group(2)) if named.group(2) else first
                current = {(first + step) % 7 for step in range((last - first) % 7 + 1)}
                if text[named.end() : named.end() + 1] in ("、", ","):
                    # 周一、周三 9:00-17:00: the days listed together share the times
                    following = _DAY_RANGE.match(text, named.end() + 1)
                    if following:
                        current |= {_day_number(following.group(1))}
                        position = following.end()
                        continue
                position = named.end()
            elif times:
                start = _minutes(times.group(1), times.group(2) or times.group(3))
                end = _minutes(times.group(4), times.group(5) or times.group(6))
                if start is not None and end is not None and start < end:
                    for day in current:
                        days[day].append((start, end))
                    found = True
                position = times.end()
            else:
                position += 1
        if not found:
            return None
        return cls(text, tuple(tuple(sorted(days[day])) for day in range(7)))

    def is_open(self, moment: datetime) -> bool:
        """Whether staff answer at ``moment`` (an aware datetime, any zone)."""
        local = moment.astimezone(CHINA)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.ranges[local.weekday()])

    def next_open(self, moment: datetime) -> datetime | None:
        """The next moment staff start answering after ``moment`` (Beijing time); None when they never do."""
        local = moment.astimezone(CHINA)
        for offset in range(8):
            day: date = local.date() + timedelta(days=offset)
            for start, _ in self.ranges[day.weekday()]:
                begins = datetime.combine(day, time(start // 60, start % 60), tzinfo=CHINA)
                if begins > local:
                    return begins
        return None


def _days_of_word(word: str) -> set[int]:
    if word == "工作日":
        return {0, 1, 2, 3, 4}
    if word in ("周末", "双休日"):
        return {5, 6}
    return set(range(7))


def _minutes(hour: str, minute: str | None) -> int | None:
    value = int(hour) * 60 + int(minute or 0)
    return value if 0 <= value <= 24 * 60 and int(minute or 0) < 60 else None


def describe_moment(moment: datetime, now: datetime) -> str:
    """A moment as a person reads it, relative to ``now``: 今天 14:00, 明天 9:00, 3月9日（周一）9:00."""
    local, today = moment.astimezone(CHINA), now.astimezone(CHINA).date()
    clock = f"{local.hour}:{local.minute:02d}"
    if local.date() == today:
        return f"今天 {clock}"
    if local.date() == today + timedelta(days=1):
        return f"明天 {clock}"
    return f"{local.month}月{local.day}日（{WEEKDAY_NAMES[local.weekday()]}）{clock}"


# ---------------------------------------------------------------------------------------------------------------
# Call-back numbers


_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![0-9])[(（]?(0\d{2,3})[)）]?[ -]?(\d{7,8})(?:\s*(?:转|-|ext\.?|x)\s*(\d{1,6}))?(?![0-9])", re.IGNORECASE
)
# what people write around a number they leave: "我的电话是 139…", "手机：139…，谢谢"
_AROUND_A_NUMBER = re.compile(
    r"[\s,，.。:：;；!！~、\-]|我的?|手机号?码?|电话号?码?|号码|联系方式|回电|是|请|打|谢谢|您好|你好"
)


def phone_in(text: str) -> str | None:
    """The mainland mobile or landline number a message consists of (with a few words around it), normalised:
    ``13912345678``, ``010-12345678``, ``0755-12345678转123``; None when the message is something else (a question
    that happens to hold a number, two numbers).

    Example:
        >>> phone_in("我的手机是139 1234 5678"), phone_in("（010）12345678"), phone_in("身份证丢了，电话13912345678")
        ('13912345678', '010-12345678', None)
    """
    found = [(m, "mobile") for m in _MOBILE.finditer(text)] + [(m, "landline") for m in _LANDLINE.finditer(text)]
    if len(found) != 1:
        return None
    match, kind = found[0]
    rest = text[: match.start()] + text[match.end() :]
    if _AROUND_A_NUMBER.sub("", rest):
        return None
    if kind == "mobile":
        return "".join(match.group(1, 2, 3))
    area, number, extension = match.group(1, 2, 3)
    return f"{area}-{number}" + (f"转{extension}" if extension else "")


def mask_phones(text: str) -> str:
    """``text`` with every mobile and landline number replaced by ``*`` (the stored copy of a left number)."""
    text = _MOBILE.sub(lambda m: "*" * len(m.group()), text)
    return _LANDLINE.sub(lambda m: "*" * len(m.group()), text)


def masked_phone(phone: str) -> str:
    """A number as the person is shown it back, and as a log may name it: ``139****5678``, ``010-****5678``."""
    number = phone.split("转")[0]
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "*" * len(phone)
    head = number[:3] if digits.startswith("1") else number.split("-")[0] + "-"
    return head + "****" + digits[-4:]


# ---------------------------------------------------------------------------------------------------------------
# Handoffs


@dataclass(frozen=True)
class HandoffView:
    """A handoff as staff and the channels read it (the phone only for the clerk who claimed it).

    Attributes:
        phone: the call-back number: given only to :func:`view`'s ``viewer`` when they hold the handoff.
        has_phone: whether a number was left (what everybody else is told).
        messages: the messages since the handoff opened (the person's, the clerks', the notes), for a detail view.
    """

    id: int
    sender_id: str
    channel: str
    status: str
    item_id: str | None
    after_hours: bool
    has_phone: bool
    phone: str | None
    claimed_by: str | None
    created_at: datetime
    claimed_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    messages: list[messages.Stored] = field(default_factory=list)
    last_seq: int = 0  # the newest message of the handoff (what the inbox orders and marks unread by)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def view(row: Handoff, viewer: str | None = None, *, last_seq: int = 0) -> HandoffView:
    """The view of a handoff row for ``viewer`` (a username; None: a channel, which never sees the phone)."""
    return HandoffView(
        id=row.id,
        sender_id=row.sender_id,
        channel=row.channel,
        status=row.status,
        item_id=row.item_id,
        after_hours=row.after_hours,
        has_phone=bool(row.phone),
        phone=row.phone if viewer is not None and row.claimed_by == viewer and row.status == "claimed" else None,
        claimed_by=row.claimed_by,
        created_at=row.created_at,
        claimed_at=row.claimed_at,
        first_reply_at=row.first_reply_at,
        closed_at=row.closed_at,
        transcript=list(row.transcript or []),
        last_seq=last_seq,
    )


@dataclass(frozen=True)
class Opened:
    """What :func:`open_handoff` did: the sender's handoff, and whether it is new (False: one was already open)."""

    handoff: HandoffView
    created: bool
    next_open: datetime | None = None  # when staff start answering, for an after-hours handoff


def active(db: Database, sender_id: str) -> HandoffView | None:
    """The sender's open or claimed handoff, None when there is none."""
    with db.session() as session:
        row = session.scalar(
            select(Handoff)
            .where(Handoff.sender_id == sender_id, Handoff.status.in_(ACTIVE))
            .order_by(Handoff.id.desc())
            .limit(1)
        )
        return view(row) if row is not None else None


def open_handoff(
    db: Database,
    sender_id: str,
    item_id: str | None = None,
    hours: WorkingHours | None = None,
    now: datetime | None = None,
) -> Opened:
    """Open a handoff for ``sender_id`` with the conversation so far, or return the one already waiting.

    Args:
        db: the application's database.
        sender_id: the conversation.
        item_id: the item being discussed.
        hours: when staff answer (None: unknown, never after hours).
        now: the moment (default: now).
    """
    now = now or utcnow()
    after_hours = hours is not None and not hours.is_open(now)
    upcoming = hours.next_open(now) if hours is not None and after_hours else None
    existing = active(db, sender_id)
    if existing is not None:
        return Opened(existing, created=False, next_open=upcoming)
    transcript = [_transcript_entry(message) for message in messages.recent(db, sender_id, TRANSCRIPT_MESSAGES)]
    with db.session() as session:
        row = Handoff(
            sender_id=sender_id,
            channel=messages.channel_of(sender_id),
            status="open",
            item_id=item_id,
            transcript=transcript,
            after_hours=after_hours,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return Opened(view(row), created=True, next_open=upcoming)


def _transcript_entry(message: messages.Stored) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "author": message.author,
        "text": message.text,
        "at": message.created_at.isoformat(),
        **({"item_id": message.item_id} if message.item_id else {}),
    }


def get(db: Database, handoff_id: int, viewer: str | None = None, with_messages: bool = False) -> HandoffView:
    """One handoff for ``viewer``, with its messages since it opened when ``with_messages``.

    Raises:
        HandoffError: 404, there is no such handoff.
    """
    with db.session() as session:
        row = session.get(Handoff, handoff_id)
        if row is None:
            raise _not_found(handoff_id)
        found = view(row, viewer)
        if not with_messages:
            return found
        rows = session.scalars(select(Message).where(Message.handoff_id == handoff_id).order_by(Message.id))
        stored = [messages.Stored.of(message) for message in rows]
    return _with(found, messages=stored, last_seq=stored[-1].seq if stored else 0)


def _with(found: HandoffView, **changes: Any) -> HandoffView:
    return HandoffView(**{**vars(found), **changes})


def listing(
    db: Database, statuses: Iterable[str] = ACTIVE, viewer: str | None = None, limit: int = 200
) -> list[HandoffView]:
    """Handoffs in ``statuses``, oldest waiting first (released ones: most recently closed first)."""
    statuses = tuple(statuses)
    with db.session() as session:
        query = select(Handoff).where(Handoff.status.in_(statuses))
        if statuses == ("released",):
            query = query.order_by(Handoff.closed_at.desc(), Handoff.id.desc())
        else:
            query = query.order_by(Handoff.id)
        rows = list(session.scalars(query.limit(limit)))
        newest = _newest_messages(session, [row.id for row in rows])
        return [view(row, viewer, last_seq=newest.get(row.id, 0)) for row in rows]


def _newest_messages(session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Message.handoff_id, func.max(Message.id)).where(Message.handoff_id.in_(ids)).group_by(Message.handoff_id)
    )
    return {handoff_id: seq for handoff_id, seq in rows}


def claim(db: Database, handoff_id: int, username: str, now: datetime | None = None) -> HandoffView:
    """Take a waiting handoff: from now on ``username`` answers it.

    Raises:
        HandoffError: 404 (no such handoff), 409 (another clerk holds it, or it was released).
    """
    now = now or utcnow()
    with db.session() as session:
        # one statement, so two clerks (or two processes) claiming at once cannot both win
        taken = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == "open")
            .values(status="claimed", claimed_by=username, claimed_at=now)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise _not_found(handoff_id)
            if row.status == "claimed":
                if row.claimed_by == username:
                    return view(row, username)
                raise HandoffError(409, "claimed_by_other", f"handoff {handoff_id} is claimed by {row.claimed_by}")
            raise HandoffError(409, "released", f"handoff {handoff_id} has ended; it cannot be claimed")
    return get(db, handoff_id, username)


def _held(session, handoff_id: int, username: str) -> Handoff:
    row = session.get(Handoff, handoff_id)
    if row is None:
        raise _not_found(handoff_id)
    if row.status == "open":
        raise HandoffError(409, "not_claimed", f"claim handoff {handoff_id} before replying")
    if row.status != "claimed":
        raise HandoffError(409, "released", f"handoff {handoff_id} has ended")
    if row.claimed_by != username:
        raise HandoffError(
            409, "claimed_by_other", f"handoff {handoff_id} is claimed by {row.claimed_by}: only they can reply"
        )
    return row


def check_reply(db: Database, handoff_id: int, username: str, now: datetime | None = None) -> HandoffView:
    """The handoff ``username`` may reply to now.

    Raises:
        HandoffError: 404 (no such handoff), 409 (not claimed by ``username``, or released), 422 (a WeChat
            follower's last message is older than WeChat's 48 hours: call back instead).
    """
    now = now or utcnow()
    with db.session() as session:
        found = view(_held(session, handoff_id, username), username)
    if found.channel == "wechat" and not within_wechat_window(db, found.sender_id, now):
        raise HandoffError(
            422,
            "wechat_window",
            "the follower's last message is more than 48 hours old: WeChat accepts no customer-service message "
            "now; call them back instead (the number they left, if any), or end the handoff",
        )
    return found


def within_wechat_window(db: Database, sender_id: str, now: datetime | None = None) -> bool:
    """Whether WeChat accepts a customer-service message to the follower now: within :data:`WECHAT_WINDOW` of their
    last message."""
    now = now or utcnow()
    with db.session() as session:
        last = session.scalar(
            select(func.max(Message.created_at)).where(Message.sender_id == sender_id, Message.author == "person")
        )
    if last is not None and last.tzinfo is None:  # SQLite hands back an aggregate's moment without its zone
        last = last.replace(tzinfo=UTC)
    return last is not None and now - last <= WECHAT_WINDOW


def reply(db: Database, handoff_id: int, username: str, text: str, now: datetime | None = None) -> messages.Stored:
    """Store a clerk's reply (already masked) under the handoff; the first reply's time is kept (analytics).

    Raises:
        HandoffError: 404, 409 as :func:`check_reply`.
    """
    now = now or utcnow()
    with db.session() as session:
        row = _held(session, handoff_id, username)
        session.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.first_reply_at.is_(None)).values(first_reply_at=now)
        )
        said = messages.Entry("clerk", text, payload={"clerk": username}, handoff_id=handoff_id)
        (stored,) = messages.add(session, row.sender_id, [said])  # with the check: never after the release's note
    return stored


def release(
    db: Database, handoff_id: int, username: str, note: str, may_override: bool = False, now: datetime | None = None
) -> HandoffView:
    """Hand the conversation back to the assistant, telling the person ``note`` (stored, streamed to them).

    Args:
        db: the application's database.
        handoff_id: the handoff.
        username: who releases it: the clerk who holds it; any clerk for one still waiting.
        note: what the person is told.
        may_override: the member of staff may release a handoff another clerk holds (an admin).
        now: the moment.

    Raises:
        HandoffError: 404 (no such handoff), 409 (already released, or held by another clerk).
    """
    now = now or utcnow()
    with db.session() as session:
        row = session.get(Handoff, handoff_id)
        if row is None:
            raise _not_found(handoff_id)
        if row.status == "released":
            raise HandoffError(409, "released", f"handoff {handoff_id} has ended already")
        if row.status == "claimed" and row.claimed_by != username and not may_override:
            raise HandoffError(
                409, "claimed_by_other", f"handoff {handoff_id} is claimed by {row.claimed_by}: only they can end it"
            )
        done = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == row.status)
            .values(status="released", closed_at=now)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise HandoffError(409, "changed", f"handoff {handoff_id} changed meanwhile; reload it")
        # in the same transaction: a widget's stream that saw the handoff end before the note was stored would
        # stop listening, and the person would never be told
        told = messages.Entry("system", note, payload={"handoff": "released"}, handoff_id=handoff_id)
        messages.add(session, row.sender_id, [told])
    return get(db, handoff_id, username)


def leave(db: Database, handoff_id: int, now: datetime | None = None) -> None:
    """The person left the handoff (they started again with the assistant): released, nobody told."""
    now = now or utcnow()
    with db.session() as session:
        session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status.in_(ACTIVE))
            .values(status="released", closed_at=now)
        )


@dataclass(frozen=True)
class Received:
    """A person's message taken for staff: the stored message, and the call-back number it left (if it did)."""

    message: messages.Stored
    phone: str | None


def person_message(db: Database, handoff: HandoffView, text: str, unmasked: str | None = None) -> Received:
    """Store a person's message (masked) under their handoff; while an after-hours handoff waits, a message that
    is a phone number (read from ``unmasked``, the text before masking) is kept as the call-back number and
    masked in the message."""
    waiting_after_hours = handoff.after_hours and handoff.status == "open"
    phone = phone_in(unmasked if unmasked is not None else text) if waiting_after_hours else None
    if phone is not None:
        text = mask_phones(text)
        with db.session() as session:
            session.execute(update(Handoff).where(Handoff.id == handoff.id).values(phone=phone))
    stored = messages.record(db, handoff.sender_id, "person", text, handoff_id=handoff.id)
    return Received(stored, phone)


# ---------------------------------------------------------------------------------------------------------------
# Streams: what changed since a client last looked (the inbox's and the person's server-sent events)


def latest_seq(db: Database, sender_id: str | None = None) -> int:
    """The newest message's sequence number (of one conversation when ``sender_id`` is given); 0 when none."""
    with db.session() as session:
        query = select(func.max(Message.id))
        if sender_id is not None:
            query = query.where(Message.sender_id == sender_id)
        return session.scalar(query) or 0


def inbox_state(db: Database, now: datetime | None = None) -> dict[int, tuple]:
    """What the inbox shows of each handoff that is waiting, held, or closed recently: id -> a tuple that changes
    when the handoff does (status, holder, phone left)."""
    since = (now or utcnow()) - RECENTLY_CLOSED
    with db.session() as session:
        rows = session.execute(
            select(Handoff.id, Handoff.status, Handoff.claimed_by, Handoff.phone.is_not(None)).where(
                Handoff.status.in_(ACTIVE) | (Handoff.closed_at >= since)
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def handoff_messages_after(db: Database, seq: int, limit: int = 200) -> list[messages.Stored]:
    """Messages of any handoff after ``seq``, oldest first (the inbox's live transcript)."""
    with db.session() as session:
        rows = session.scalars(
            select(Message).where(Message.id > seq, Message.handoff_id.is_not(None)).order_by(Message.id).limit(limit)
        )
        return [messages.Stored.of(row) for row in rows]


PUSHED_AUTHORS = ("clerk", "system")  # what reaches a person other than as the answer to what they sent


def pushed_after(db: Database, sender_id: str, seq: int, limit: int = 100) -> list[messages.Stored]:
    """The conversation's messages after ``seq`` that its client did not get as an answer: clerks' replies and the
    notes of a handoff (a clerk ending it)."""
    with db.session() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.sender_id == sender_id, Message.id > seq, Message.author.in_(PUSHED_AUTHORS))
            .order_by(Message.id)
            .limit(limit)
        )
        return [messages.Stored.of(row) for row in rows]
