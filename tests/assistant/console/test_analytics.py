"""The console's figures: questions per local day and channel, outcomes, top items and elements, 好差评 by item,
handoff waits, with the date and channel filters, and the same figures as CSV for Excel."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from assistant.console import feedback, messages
from assistant.console.analytics import Period, PeriodError, nearest_rank, summary, to_csv
from assistant.console.db import Database, console_database_url
from assistant.console.models import Feedback, Handoff, Message

WEB, WECHAT = "w.web-person.sig", "wx:oFollower"
ID_CARD, PASSPORT = "resident-id-card-reissue", "ordinary-passport-issuance"
NOV = Period(date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The application's database, empty: SQLite, and (integration) a fresh database on a real PostgreSQL, where
    the same aggregates must give the same figures."""
    if request.param == "sqlite":
        database = Database.open(console_database_url(tmp_path))
        yield database
        database.close()
        return
    server = request.getfixturevalue("postgres")
    schema = f"analytics_{uuid.uuid4().hex[:12]}"  # a schema of its own: the session's database is shared
    url = make_url(console_database_url(tmp_path, server.url))
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    database = Database.open(
        url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    )
    yield database
    database.close()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _at(db: Database, model, row_id: int, moment: datetime) -> None:
    with db.session() as session:
        session.execute(update(model).where(model.id == row_id).values(created_at=moment))


def _turn(
    db: Database, sender: str, moment: datetime, question: str, outcome: str, item: str | None = None, element=None
) -> messages.Stored:
    """A question and its answer, both at ``moment`` (UTC)."""
    asked = messages.record(db, sender, "person", question)
    answer = messages.record(
        db, sender, "assistant", f"关于“{question}”……", question=question,
        meta={"outcome": outcome, "item_id": item, "element": element, "version": "v1"},
    )  # fmt: skip
    _at(db, Message, asked.seq, moment)
    _at(db, Message, answer.seq, moment)
    return answer


def _rate(db: Database, sender: str, answer: messages.Stored, rating: str, moment: datetime, reason=None) -> None:
    feedback.rate(db, sender, answer.message_id, rating, reason=reason)
    with db.session() as session:
        session.execute(update(Feedback).where(Feedback.message_id == answer.message_id).values(created_at=moment))


def _utc(day: int, hour: int = 4, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)  # 04:00 UTC = 12:00 in Beijing


@pytest.fixture
def month(db: Database) -> Database:
    """November: web and WeChat questions, outcomes of every kind, ratings and handoffs; and one of each outside."""
    a = _turn(db, WEB, _utc(3), "身份证丢了怎么补办", "answer", ID_CARD, "materials")
    b = _turn(db, WECHAT, _utc(3), "身份证补办要带什么", "answer", ID_CARD, "materials")
    c = _turn(db, WEB, _utc(4), "护照多久能拿到", "answer", PASSPORT, "time_limit")
    _turn(db, WEB, _utc(4), "办证", "clarify")
    _turn(db, WECHAT, _utc(5), "明天天气怎么样", "out_of_scope")
    _turn(db, WECHAT, _utc(5), "嗯", "empty")
    n = _turn(db, WEB, _utc(6), "我要生成材料清单", "notice", ID_CARD)
    _turn(db, WEB, _utc(6), "转人工", "handoff", ID_CARD)
    # a button's payload is not a question
    payload = messages.record(db, WEB, "person", '/answer{"residence":"local"}')
    _at(db, Message, payload.seq, _utc(6))
    # 23:30 in Beijing on 30 November is 15:30 UTC: still November; 00:30 on 1 December is 16:30 UTC on the 30th
    _turn(db, WECHAT, datetime(2026, 11, 30, 15, 30, tzinfo=UTC), "社保卡怎么办", "answer", ID_CARD, "process")
    _turn(db, WECHAT, datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "十二月的问题", "answer", ID_CARD, "process")
    outside = _turn(db, WEB, _utc(20, month=10), "十月的问题", "answer", PASSPORT, "fee")

    _rate(db, WEB, a, "good", _utc(3))
    _rate(db, WECHAT, b, "bad", _utc(3), reason="wrong")
    _rate(db, WEB, c, "good", _utc(4))
    _rate(db, WEB, n, "bad", _utc(6), reason="not_answered")
    _rate(db, WEB, outside, "bad", _utc(20, month=10), reason="unclear")

    with db.session() as session:
        start = _utc(6)
        for minutes_to_claim, reply_after, channel in [(1, 2, "web"), (3, 5, "web"), (10, None, "wechat")]:
            session.add(
                Handoff(
                    sender_id=WEB if channel == "web" else WECHAT, channel=channel, status="claimed",
                    created_at=start, claimed_at=start + timedelta(minutes=minutes_to_claim),
                    first_reply_at=start + timedelta(minutes=reply_after) if reply_after else None,
                )
            )  # fmt: skip
        session.add(Handoff(sender_id=WECHAT, channel="wechat", status="open", created_at=start))
    return db


def test_questions_are_counted_per_local_day_and_channel_without_button_payloads(month: Database) -> None:
    figures = summary(month, NOV)
    questions = figures["questions"]
    assert questions["total"] == 9  # 10 in November's UTC days, one of them 1 December in Beijing; no payload
    assert questions["by_channel"] == {"web": 5, "wechat": 4}
    days = {row["day"]: row for row in questions["by_day"]}
    assert len(days) == 30 and days["2026-11-03"] == {"day": "2026-11-03", "web": 1, "wechat": 1}
    assert days["2026-11-30"]["wechat"] == 1  # 23:30 on the 30th in Beijing
    assert days["2026-11-01"] == {"day": "2026-11-01", "web": 0, "wechat": 0}  # days without questions are there
    december = summary(month, Period(date(2026, 12, 1), date(2026, 12, 1)))
    assert december["questions"]["by_day"] == [{"day": "2026-12-01", "web": 0, "wechat": 1}]


def test_outcomes_items_and_elements(month: Database) -> None:
    figures = summary(month, NOV, name_of={ID_CARD: "居民身份证补领"}.get)
    assert figures["outcomes"] == {"answered": 4, "notices": 1, "clarified": 1, "refused": 2, "handoffs": 1}
    assert figures["top_items"] == [
        {"item_id": ID_CARD, "name": "居民身份证补领", "count": 4},  # three answers and the notice
        {"item_id": PASSPORT, "name": PASSPORT, "count": 1},  # no name known: its id
    ]
    assert [(e["element"], e["count"]) for e in figures["top_elements"]] == [
        ("materials", 2), ("process", 1), ("time_limit", 1)
    ]  # fmt: skip
    assert figures["top_elements"][0]["name"] == "申请材料"


def test_satisfaction_by_item_and_channel_with_the_reasons(month: Database) -> None:
    rated = summary(month, NOV)["satisfaction"]
    assert (rated["good"], rated["bad"], rated["share"]) == (2, 2, 0.5)
    assert rated["reasons"] == {"not_answered": 1, "wrong": 1, "unclear": 0, "other": 0}  # October's is outside
    assert rated["by_channel"] == {
        "web": {"good": 2, "bad": 1, "share": 0.667},
        "wechat": {"good": 0, "bad": 1, "share": 0.0},
    }
    by_item = {row["item_id"]: row for row in rated["by_item"]}
    assert (by_item[ID_CARD]["good"], by_item[ID_CARD]["bad"], by_item[ID_CARD]["share"]) == (1, 2, 0.333)
    assert (by_item[PASSPORT]["good"], by_item[PASSPORT]["bad"]) == (1, 0)


def test_handoff_waits_are_medians_and_90th_percentiles(month: Database) -> None:
    handoffs = summary(month, NOV)["handoffs"]
    assert (handoffs["total"], handoffs["claimed"], handoffs["waiting"]) == (4, 3, 1)
    assert handoffs["to_claim"] == {"count": 3, "median_s": 180, "p90_s": 600}
    assert handoffs["to_first_reply"] == {"count": 2, "median_s": 210, "p90_s": 300}
    assert summary(month, Period(date(2026, 10, 1), date(2026, 10, 31)))["handoffs"]["to_claim"] == {
        "count": 0, "median_s": None, "p90_s": None
    }  # fmt: skip


def test_the_channel_filter_applies_to_every_figure(month: Database) -> None:
    wechat = summary(month, Period(NOV.start, NOV.end, "wechat"))
    assert wechat["questions"]["by_channel"] == {"web": 0, "wechat": 4}
    assert wechat["outcomes"]["refused"] == 2 and wechat["outcomes"]["clarified"] == 0
    assert (wechat["satisfaction"]["good"], wechat["satisfaction"]["bad"]) == (0, 1)
    assert wechat["handoffs"]["total"] == 2
    assert [row["item_id"] for row in wechat["top_items"]] == [ID_CARD]


def test_periods_default_to_the_last_thirty_days_and_refuse_what_is_not_a_date() -> None:
    period = Period.parse(None, None, None, today=date(2026, 12, 3))
    assert (period.start, period.end, period.channel) == (date(2026, 11, 4), date(2026, 12, 3), None)
    start, end = Period.parse("2026-11-01", "2026-11-01", "web").bounds()
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC) and end == datetime(2026, 11, 1, 16, tzinfo=UTC)
    for start_text, end_text, channel, says in [
        ("2026-13-01", None, None, "from must be a date"),
        ("2026-02-30", None, None, "from must be a date"),
        (None, "yesterday", None, "to must be a date"),
        ("20261101", None, None, "YYYY-MM-DD"),
        ("2026-11-30", "2026-11-01", None, "is after"),
        ("2024-01-01", "2026-11-01", None, "at most 366 days"),
        (None, None, "weibo", "channel must be web or wechat"),
    ]:
        with pytest.raises(PeriodError, match=says) as refused:
            Period.parse(start_text, end_text, channel, today=date(2026, 12, 3))
        assert refused.value.chinese  # the page says it in Chinese


def test_nearest_rank_is_one_of_the_values() -> None:
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([1, 2, 3], 0.9) == 3 and nearest_rank([1, 2, 3], 0.5) == 2
    assert nearest_rank([], 0.9) is None


def test_the_csv_opens_in_excel_with_every_figure(month: Database) -> None:
    text = to_csv(summary(month, NOV, name_of={ID_CARD: '=HYPERLINK("http://evil")'}.get))
    assert text.startswith("\ufeffmetric,key,label,value")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    table = {(row[0], row[1]): row for row in rows[1:]}
    assert table[("questions", "total")][3] == "9"
    assert table[("questions_per_day_wechat", "2026-11-30")][3] == "1"
    assert table[("outcomes", "refused")][2:] == ["未能回答", "2"]
    assert table[("satisfaction_by_item_bad", ID_CARD)][3] == "2"
    assert table[("bad_reasons", "wrong")][2:] == ["信息有误", "1"]
    assert table[("handoff_to_claim", "median_s")][3] == "180"
    assert table[("top_items", ID_CARD)][2].startswith("'=")  # never a formula in Excel
