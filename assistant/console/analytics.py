"""The console's figures: questions per day and channel, what became of them, the items and elements asked
about, 好差评 by item, and handoffs with their waiting times, for a period and a channel.

Moments are stored in UTC; days are the users' days, in Asia/Shanghai (UTC+8 all year, no daylight saving), so
a question at 23:30 Beijing time counts on that day, not the next. Counts by outcome, item, element and rating
are SQL aggregates; the per-day buckets and the waiting-time percentiles are computed in Python over the
period's rows (two columns a row). A city's volume (a few thousand questions a day, a few hundred thousand rows in
a month) reads in well under a second that way, and the same code runs on SQLite and PostgreSQL without
dialect-specific date functions.

Example:
    >>> period = Period.parse("2026-11-01", "2026-11-30", "wechat")
    >>> period.days()[0], len(period.days())
    (datetime.date(2026, 11, 1), 30)
    >>> Period.parse("2026-11-30", "2026-11-01", None)
    Traceback (most recent call last):
    ...
    assistant.console.analytics.PeriodError: from (2026-11-30) is after to (2026-11-01)
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal, select

from assistant.console.db import Database
from assistant.console.feedback import BAD, GOOD, REASONS
from assistant.console.models import Feedback, Handoff, Message

LOCAL = ZoneInfo("Asia/Shanghai")
"""The users' time zone: days are counted in it."""

CHANNELS = {"web": "网页", "wechat": "微信"}
OUTCOMES = {
    "answered": "已回答",
    "notices": "已出告知单",
    "clarified": "追问澄清",
    "refused": "未能回答",
    "handoffs": "转人工",
}
"""What became of the questions, by the assistant messages' ``outcome``: ``answer``, ``notice``, ``clarify``,
``out_of_scope`` and ``empty`` (nothing to answer from), ``handoff``."""
_OUTCOME_OF = {
    "answer": "answered",
    "notice": "notices",
    "clarify": "clarified",
    "out_of_scope": "refused",
    "empty": "refused",
    "handoff": "handoffs",
}
DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year at most in one request: longer periods are read year by year
TOP = 10
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class PeriodError(ValueError):
    """A period or channel that cannot be read: the message says what to send (in English for the API,
    ``chinese`` for the page)."""

    def __init__(self, message: str, chinese: str):
        super().__init__(message)
        self.chinese = chinese


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end`` (both included, local days) and the channel (None: both).

    Attributes:
        start: the first day.
        end: the last day.
        channel: ``web``, ``wechat`` or None for both.
    """

    start: date
    end: date
    channel: str | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None, channel: str | None, today: date | None = None) -> Period:
        """The period of a request's ``from``, ``to`` and ``channel`` (each may be empty).

        Args:
            start: ``YYYY-MM-DD``, the first day; default 29 days before ``end``.
            end: ``YYYY-MM-DD``, the last day; default today (in Asia/Shanghai).
            channel: ``web``, ``wechat``, or empty for both.
            today: the local day taken for today (tests).

        Raises:
            PeriodError: a date that is not ``YYYY-MM-DD``, ``from`` after ``to``, more than :data:`MAX_DAYS`
                days, or an unknown channel.
        """
        today = today or datetime.now(LOCAL).date()
        last = _day("to", end) or today
        first = _day("from", start) or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise PeriodError(f"from ({first}) is after to ({last})", f"起始日期（{first}）晚于截止日期（{last}）。")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(
                f"at most {MAX_DAYS} days at a time; ask for a shorter period",
                f"一次最多统计{MAX_DAYS}天，请缩短区间。",
            )
        if channel and channel not in CHANNELS:
            raise PeriodError(
                f"channel must be {' or '.join(CHANNELS)} (or empty for both), not {channel[:20]!r}",
                "渠道只能是“网页”或“微信”（或全部）。",
            )
        return cls(first, last, channel or None)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC moments: from the first day's local midnight (inclusive) to the midnight after the last
        day (exclusive)."""
        return _local_midnight(self.start), _local_midnight(self.end + timedelta(days=1))

    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        """The period as query parameters (the CSV link, the audit log)."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "channel": self.channel or ""}


def _day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    text = value.strip()
    if _ISO_DAY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # 2026-02-30: written right, no such day
    raise PeriodError(
        f"{name} must be a date written YYYY-MM-DD, such as 2026-11-01, not {text[:40]!r}",
        f"{'起始' if name == 'from' else '截止'}日期应写作“年-月-日”，如 2026-11-01。",
    )


def _local_midnight(day: date) -> datetime:
    """The UTC moment a local day begins."""
    return datetime.combine(day, time(), LOCAL).astimezone(UTC)


def nearest_rank(values: list[float], share: float) -> float | None:
    """The value at or below which ``share`` of ``values`` lie (nearest rank: always one of the values, so "90 % of
    people waited at most this long" is literally true); None for no values.

    Example:
        >>> nearest_rank([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)
        90
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def waits(seconds: list[float]) -> dict[str, Any]:
    """Waiting times in seconds: how many, the median and the 90th percentile (None when there are none)."""
    return {
        "count": len(seconds),
        "median_s": round(statistics.median(seconds)) if seconds else None,
        "p90_s": round(nearest_rank(seconds, 0.9) or 0) if seconds else None,
    }


def share(good: int, bad: int) -> float | None:
    """The share of good ratings, 0..1 to three places (None without ratings)."""
    return round(good / (good + bad), 3) if good + bad else None


def summary(db: Database, period: Period, name_of: Callable[[str], str | None] | None = None) -> dict[str, Any]:
    """The figures of ``period``.

    Args:
        db: the application's database.
        period: the days and the channel.
        name_of: an item's name by its id (the catalogue being served); ids are shown where it gives None.

    Returns:
        A JSON-ready dict: ``period``, ``questions`` (total, by channel, by day), ``outcomes``, ``top_items``,
        ``top_elements``, ``satisfaction`` (overall, reasons, by channel, by item) and ``handoffs`` (counts and the
        waits to be claimed and to get a first reply).
    """
    from assistant.qa.compose import ELEMENT_NAMES  # the answerer's own element names (材料, 办理时限 …)

    def item_name(item_id: str | None) -> str:
        if not item_id:
            return "（未识别事项）"
        return (name_of(item_id) if name_of else None) or item_id

    start, end = period.bounds()

    def within(model):
        conditions = [model.created_at >= start, model.created_at < end]
        if period.channel:
            conditions.append(model.channel == period.channel)
        return conditions

    with db.session() as session:
        # the person's messages, without a button's payload or a command (/restart): those are not questions;
        # counted by local day in the database (a CASE over the days' UTC starts: any SQL, any time zone)
        days = period.days()
        starts = [(Message.created_at < _local_midnight(d + timedelta(days=1)), n) for n, d in enumerate(days[:-1])]
        day = (case(*starts, else_=len(days) - 1) if starts else literal(0)).label("day")
        asked = session.execute(
            select(day, Message.channel, func.count())
            .where(*within(Message), Message.author == "person", ~Message.text.startswith("/"))
            .group_by(day, Message.channel)
        ).all()
        outcomes = session.execute(
            select(Message.outcome, func.count())
            .where(*within(Message), Message.author == "assistant", Message.outcome.is_not(None))
            .group_by(Message.outcome)
        ).all()
        answered = [Message.author == "assistant", Message.outcome.in_(("answer", "notice"))]
        items = session.execute(
            select(Message.item_id, func.count())
            .where(*within(Message), *answered, Message.item_id.is_not(None))
            .group_by(Message.item_id)
            .order_by(func.count().desc(), Message.item_id)
            .limit(TOP)
        ).all()
        elements = session.execute(
            select(Message.element, func.count())
            .where(*within(Message), Message.author == "assistant", Message.outcome == "answer")
            .where(Message.element.is_not(None))
            .group_by(Message.element)
            .order_by(func.count().desc(), Message.element)
            .limit(TOP)
        ).all()
        ratings = session.execute(
            select(Feedback.item_id, Feedback.channel, Feedback.rating, Feedback.reason, func.count())
            .where(*within(Feedback))
            .group_by(Feedback.item_id, Feedback.channel, Feedback.rating, Feedback.reason)
        ).all()
        handoffs = session.execute(
            select(Handoff.status, Handoff.created_at, Handoff.claimed_at, Handoff.first_reply_at).where(
                *within(Handoff)
            )
        ).all()

    by_day: dict[date, Counter[str]] = {day: Counter() for day in days}
    by_channel: Counter[str] = Counter()
    for n, channel, count in asked:
        by_day[days[n]][channel] += count
        by_channel[channel] += count

    outcome_counts = Counter({key: 0 for key in OUTCOMES})
    for outcome, count in outcomes:
        if outcome in _OUTCOME_OF:
            outcome_counts[_OUTCOME_OF[outcome]] += count

    good_bad: dict[str | None, Counter[str]] = {}
    reasons = Counter({key: 0 for key in REASONS})
    rating_channels = {channel: Counter({GOOD: 0, BAD: 0}) for channel in CHANNELS}
    for item_id, channel, rating, reason, count in ratings:
        good_bad.setdefault(item_id, Counter())[rating] += count
        rating_channels.setdefault(channel, Counter())[rating] += count
        if rating == BAD and reason in REASONS:
            reasons[reason] += count
    good = sum(c[GOOD] for c in good_bad.values())
    bad = sum(c[BAD] for c in good_bad.values())
    by_item = sorted(good_bad.items(), key=lambda kv: (-(kv[1][GOOD] + kv[1][BAD]), -kv[1][BAD], kv[0] or ""))

    to_claim = [(claimed - created).total_seconds() for _, created, claimed, _ in handoffs if claimed is not None]
    to_reply = [(first - created).total_seconds() for _, created, _, first in handoffs if first is not None]

    return {
        "period": {**period.query(), "channel": period.channel, "timezone": LOCAL.key},
        "questions": {
            "total": sum(by_channel.values()),
            "by_channel": {channel: by_channel[channel] for channel in CHANNELS},
            "by_day": [
                {"day": day.isoformat(), **{channel: counts[channel] for channel in CHANNELS}}
                for day, counts in sorted(by_day.items())
            ],
        },
        "outcomes": dict(outcome_counts),
        "top_items": [{"item_id": i, "name": item_name(i), "count": c} for i, c in items],
        "top_elements": [{"element": e, "name": ELEMENT_NAMES.get(e, e), "count": c} for e, c in elements],
        "satisfaction": {
            "good": good,
            "bad": bad,
            "share": share(good, bad),
            "reasons": dict(reasons),
            "by_channel": {
                channel: {"good": c[GOOD], "bad": c[BAD], "share": share(c[GOOD], c[BAD])}
                for channel, c in rating_channels.items()
            },
            "by_item": [
                {"item_id": i, "name": item_name(i), "good": c[GOOD], "bad": c[BAD], "share": share(c[GOOD], c[BAD])}
                for i, c in by_item
            ],
        },
        "handoffs": {
            "total": len(handoffs),
            "claimed": len(to_claim),
            "waiting": sum(1 for status, _, claimed, _ in handoffs if status == "open" and claimed is None),
            "to_claim": waits(to_claim),
            "to_first_reply": waits(to_reply),
        },
    }


CSV_COLUMNS = ("metric", "key", "label", "value")


def csv_rows(figures: dict[str, Any]) -> Iterable[tuple[Any, ...]]:
    """The figures as one long table: ``metric`` (stable, for scripts), ``key`` (a day, an item id …), ``label``
    (what a person reads) and ``value``."""
    period = figures["period"]
    yield "period", "from", "起始日期", period["from"]
    yield "period", "to", "截止日期", period["to"]
    yield "period", "channel", "渠道", CHANNELS.get(period["channel"] or "", "全部")
    yield "period", "timezone", "时区", period["timezone"]
    questions = figures["questions"]
    yield "questions", "total", "咨询量", questions["total"]
    for channel, count in questions["by_channel"].items():
        yield "questions_by_channel", channel, CHANNELS[channel], count
    for row in questions["by_day"]:
        for channel in CHANNELS:
            yield f"questions_per_day_{channel}", row["day"], f"{row['day']} {CHANNELS[channel]}", row[channel]
    for key, count in figures["outcomes"].items():
        yield "outcomes", key, OUTCOMES[key], count
    for row in figures["top_items"]:
        yield "top_items", row["item_id"], row["name"], row["count"]
    for row in figures["top_elements"]:
        yield "top_elements", row["element"], row["name"], row["count"]
    rated = figures["satisfaction"]
    yield "satisfaction", "good", "满意", rated["good"]
    yield "satisfaction", "bad", "不满意", rated["bad"]
    yield "satisfaction", "share", "满意率", _share_text(rated["share"])
    for key, count in rated["reasons"].items():
        yield "bad_reasons", key, REASONS[key], count
    for channel, counts in rated["by_channel"].items():
        for rating in ("good", "bad", "share"):
            value = _share_text(counts[rating]) if rating == "share" else counts[rating]
            yield f"satisfaction_{channel}", rating, CHANNELS.get(channel, channel), value
    for row in rated["by_item"]:
        for rating in ("good", "bad", "share"):
            value = _share_text(row[rating]) if rating == "share" else row[rating]
            yield f"satisfaction_by_item_{rating}", row["item_id"] or "", row["name"], value
    handoffs = figures["handoffs"]
    yield "handoffs", "total", "转人工", handoffs["total"]
    yield "handoffs", "claimed", "已接入", handoffs["claimed"]
    yield "handoffs", "waiting", "等待接入", handoffs["waiting"]
    for wait, label in (("to_claim", "接入等待"), ("to_first_reply", "首次回复等待")):
        yield f"handoff_{wait}", "median_s", f"{label}中位数（秒）", _blank(handoffs[wait]["median_s"])
        yield f"handoff_{wait}", "p90_s", f"{label}90%（秒）", _blank(handoffs[wait]["p90_s"])


def _share_text(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _cell(value: Any) -> Any:
    # a catalogue's name beginning with "=" must not become a spreadsheet formula when the file is opened
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def _blank(value: Any) -> Any:
    return "" if value is None else value


def to_csv(figures: dict[str, Any]) -> str:
    """The figures as CSV, UTF-8 with a byte-order mark (so Excel opens the Chinese labels as such)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_cell(value) for value in row] for row in csv_rows(figures))
    return out.getvalue()
