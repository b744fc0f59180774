"""The load test's pure parts: the real messages it replays, its percentiles, and the check that tells a person's
own 告知单 from another person's (no server)."""

from __future__ import annotations

import json
import os
import random
import re

import openpyxl
import pytest

from assistant.loadtest.figures import NoticeCheck, Turn, percentile, summarise
from assistant.loadtest.messages import RealMessages
from assistant.loadtest.notices import Checklist, check_notice
from assistant.loadtest.people import outcome_of, wechat_messages
from assistant.loadtest.server import cpu_line, tree_cpu
from assistant.replies import Replies
from assistant.workbook import XLSX

CHINESE = re.compile(r"[\u4e00-\u9fff]")
REPLIES = Replies.load()


def test_messages_are_column_a_of_every_sheet_without_header_blanks_or_text_without_chinese(tmp_path):
    path = tmp_path / "real.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "政务问答"
    for row in [("用户问题", "正文内容"), ("护照过期了\t怎么换？", "答"), (None, "x"), ("12345", "y")]:
        first.append(row)
    second = workbook.create_sheet("情感分类")
    for row in [("留言",), ("我是****小区的住户，\n请问供暖什么时候开始？",)]:
        second.append(row)
    workbook.save(path)

    messages = RealMessages.load(path)

    assert messages.sheets == {
        "政务问答": ["护照过期了 怎么换？"],
        "情感分类": ["我是****小区的住户， 请问供暖什么时候开始？"],
    }
    assert set(messages.sample(random.Random(3), 20)) == {
        "护照过期了 怎么换？",
        "我是****小区的住户， 请问供暖什么时候开始？",
    }


@pytest.mark.integration
def test_the_real_workbook_gives_non_empty_chinese_messages_from_its_three_sheets():
    messages = RealMessages.load(XLSX)

    assert set(messages.sheets) == {"自然语言理解", "政务问答", "情感分类"}
    assert len(messages) > 13_000
    drawn = messages.sample(random.Random(1), 200)
    assert all(text.strip() and len(CHINESE.findall(text)) >= 2 and "\n" not in text for text in drawn)
    assert drawn == RealMessages.load(XLSX).sample(random.Random(1), 200)  # a seed replays the same messages


def test_percentiles_by_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # any order

    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) != percentile([], 50)  # NaN: no turns, no figure


def test_summary_times_answered_turns_counts_errors_by_kind_and_keeps_wechat_apart():
    turns = [Turn("web", 0, float(i), 0.1 * (i + 1), "ok") for i in range(10)]
    turns += [
        Turn("web", 1, 1.0, 2.0, "degraded"),
        Turn("web", 1, 2.0, 30.0, "ReadTimeout"),
        Turn("web", 2, 3.0, 0.01, "http_503"),
        Turn("web", 2, 4.0, 0.01, "http_503"),
        Turn("wechat", 3, 1.0, 1.0, "ok"),
        Turn("wechat", 3, 2.0, 4.5, "ok", late=True),
    ]

    summary = summarise(turns, [], seconds=10.0)

    assert summary.turns == 14
    assert summary.turns_per_s == pytest.approx(1.1)  # 10 answered + 1 degraded, over 10 s
    assert summary.errors == {"http_503": 2, "ReadTimeout": 1}
    assert summary.degraded == 1
    assert (summary.p50_ms, summary.max_ms) == (pytest.approx(600), pytest.approx(2000))
    assert (summary.wechat_replies, summary.wechat_over_4s) == (2, 1)


def test_a_notice_page_that_never_came_is_no_mixed_conversation():
    # while serve is killed, a notice link cannot be fetched: that is the outage's error, not another person's notice
    notices = [
        NoticeCheck(1, 1.0, "/notice/a", []),
        NoticeCheck(
            2, 2.0, "/notice/b", ["the notice is of '普通护照签发', this person's checklist of '内地居民结婚登记'"]
        ),
        NoticeCheck(3, 3.0, "/notice/c", ["the notice page could not be fetched: ReadError"], unfetched=True),
    ]

    summary = summarise([], notices, seconds=10.0)

    assert (summary.notices_checked, summary.mixed, summary.notices_unfetched) == (3, 1, 1)


def _question(text: str, options: list[tuple[str, str]]) -> list[dict]:
    payload = "/choose_option{}"
    buttons = [{"title": label, "payload": payload.format(json.dumps({"option": o}))} for o, label in options]
    return [{"text": REPLIES("checklist_question", number=1, total=2, question=text), "buttons": buttons}]


MARRIAGE = [("no", "没有结过婚"), ("yes", "有一方或双方以前结过婚")]
ENDED = [("registered_divorce", "登记离婚"), ("court_divorce", "法院判决离婚、调解离婚"), ("widowed", "丧偶")]


def page(name: str, answers: dict[str, str]) -> str:
    shown = "".join(f"<li>{q}<strong>{a}</strong></li>" for q, a in answers.items())
    return f'<p class="notice-name">{name}</p><section><ul class="answers">{shown}</ul></section>'


def walk(answers: list[str]) -> Checklist:
    """A person's checklist of 结婚登记: started, two questions answered with ``answers``."""
    start = [{"text": REPLIES("checklist_start", name="内地居民结婚登记")}]
    checklist = Checklist.started_by(start)
    assert checklist is not None and checklist.name == "内地居民结婚登记"
    checklist.replied(start + _question("以前结过婚吗？", MARRIAGE))
    checklist.sent(answers[0])
    checklist.replied(_question("以前的婚姻怎么结束的？", ENDED))
    checklist.sent(answers[1])
    return checklist


def test_a_persons_own_notice_passes_the_check():
    mine = walk(["2", "法院判决离婚、调解离婚"])  # by number, then by the option's text

    link = "/notice/marriage-registration?previous_marriage=yes&previous_marriage_end=court_divorce"
    answers = {"以前结过婚吗？": "有一方或双方以前结过婚", "以前的婚姻怎么结束的？": "法院判决离婚、调解离婚"}
    assert check_notice(mine, link, 200, page("内地居民结婚登记", answers)) == []


def test_another_persons_notice_is_flagged_as_mixed():
    mine = walk(["2", '/choose_option{"option": "widowed"}'])  # by number, then by button

    theirs_link = "/notice/marriage-registration?previous_marriage=yes&previous_marriage_end=court_divorce"
    theirs = {"以前结过婚吗？": "有一方或双方以前结过婚", "以前的婚姻怎么结束的？": "法院判决离婚、调解离婚"}
    assert check_notice(mine, theirs_link, 200, page("内地居民结婚登记", theirs)) == [
        "to 以前的婚姻怎么结束的？ the notice answers 法院判决离婚、调解离婚, this person chose 丧偶"
    ]
    other_item = check_notice(
        mine, "/notice/passport-first?agent=self", 200, page("普通护照签发", {"代办吗？": "本人"})
    )
    assert other_item == [
        "the notice is of '普通护照签发', this person's checklist of '内地居民结婚登记'",
        "the notice answers self, never offered to this person",
    ]
    assert check_notice(mine, theirs_link, 404, "") == ["the notice page answered 404"]


def test_turn_outcomes_tell_errors_from_answers_given_while_the_dialogue_engine_is_down():
    down = "结婚登记在婚姻登记机关办理。\n" + REPLIES("dialogue_down")

    assert outcome_of(200, ["结婚登记需要身份证和户口簿。"]) == "ok"
    assert outcome_of(200, [down]) == "degraded"
    assert outcome_of(200, [REPLIES("chat_no_answer")]) == "no_answer"
    assert outcome_of(503, []) == "http_503"


def test_a_wechat_checklist_question_reads_as_option_buttons():
    question = REPLIES("checklist_question", number=1, total=3, question="以前结过婚吗？")
    content = f"{question}\n{REPLIES('wechat_options')}\n1. 没有结过婚\n2. 有一方或双方以前结过婚"

    (message,) = wechat_messages(content)

    assert [b["title"] for b in message["buttons"]] == ["没有结过婚", "有一方或双方以前结过婚"]
    assert wechat_messages("结婚登记要带身份证。")[0]["buttons"] == []


def test_the_cpu_a_turn_costs_is_told_apart_for_the_application_and_the_dialogue_engines():
    line = cpu_line((1.0, 2.0), (3.0, 8.0), turns=100, seconds=10.0, generator=0.5)
    assert line == (
        "20.0 ms serve + 60.0 ms dialogue engines (serve 20 % of a core, engines 60 %); the load generator 5.0 ms (5 %)"
    )
    assert cpu_line((1.0, 2.0), (3.0, 8.0), turns=0, seconds=10.0) == ""  # nothing answered: nothing to divide
    busy = sum(i * i for i in range(300_000))  # this process has used some CPU time, and it is read
    assert busy > 0 and tree_cpu(os.getpid())[0] > 0
