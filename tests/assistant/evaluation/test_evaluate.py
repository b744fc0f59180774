"""The evaluation file format and the figures computed from answers."""

from __future__ import annotations

import pytest

from assistant.evaluation.evaluate import Case, read_cases, score
from assistant.qa import Answer, Candidate


def answer(item, element=None, kind="answer", names=()):
    return Answer(
        query="q",
        item=item,
        element=element,
        answer="a",
        confidence=0.9,
        kind=kind,
        candidates=[Candidate(name=n, score=0.5) for n in (names or ([item] if item else []))],
    )


def test_read_cases(tmp_path):
    path = tmp_path / "e.tsv"
    path.write_text("query\titem\telement\n护照多少钱\t普通护照签发\tfee\n天气\t-\t-\n", encoding="utf-8")
    assert read_cases(path) == [Case("护照多少钱", "普通护照签发", "fee"), Case("天气", None, None)]


def test_a_real_split_is_read_by_its_column_names(tmp_path):
    path = tmp_path / "real.tsv"
    path.write_text(
        "sheet\trow\tquery\titem\telement\texpect\n政务问答\t12\t护照多少钱\t普通护照签发\tfee\t120元\n",
        encoding="utf-8",
    )
    assert read_cases(path) == [Case("护照多少钱", "普通护照签发", "fee", ("120元",))]


def test_expected_words_are_read_and_a_reply_must_contain_every_one(tmp_path):
    path = tmp_path / "real.tsv"
    path.write_text("query\titem\telement\texpect\n冷静期多少天\t离婚登记\tconditions\t三十日|申请\n", encoding="utf-8")
    (case,) = read_cases(path)
    assert case.expect == ("三十日", "申请")
    full, partial = answer("离婚登记", "conditions"), answer("离婚登记", "conditions")
    full.answer, partial.answer = "自收到离婚登记申请之日起三十日内", "三十日内"
    assert score([case], [full]).figures()["reply_contains_expected"] == 1.0
    assert score([case], [partial]).figures()["reply_contains_expected"] == 0.0


def test_long_messages_and_short_questions_are_reported_apart():
    story = "领导您好，我是外省户籍，在本市工作多年，孩子今年满六岁了，想问一下孩子上学需要准备哪些材料？望回复"
    cases = [Case(story, "A", "materials"), Case("护照多少钱", "B", "fee")]
    report = score(cases, [answer("X", "materials"), answer("B", "fee")])
    long, short = report.parts.values()
    assert (long.in_scope, long.item_at_1, short.in_scope, short.item_at_1) == (1, 0, 1, 1)
    assert "long messages (over 40 characters) (1 in scope, 0 out): item_accuracy@1 0.0% (0/1)" in report.text()
    assert "out_of_scope_recall –" in report.text()  # nothing out of scope to recall among them
    assert not score(cases[1:], [answer("B", "fee")]).parts  # all short: no breakdown


def test_each_figure_is_printed_with_its_counts_and_an_interval_that_narrows_as_the_split_grows():
    def text(right, wrong):
        cases = [Case(f"q{i}", "A", None) for i in range(right + wrong)]
        return score(cases, [answer("A")] * right + [answer("B")] * wrong).text()

    # 40 of 49 (real_dev's size): 81.6 %, but anything from 68.6 to 90.0 % is as likely
    assert "item_accuracy@1             81.6%  40/49, 95 % interval 68.6%–90.0%" in text(40, 9)
    assert "item_accuracy@1             81.6%  400/490, 95 % interval 78.0%–84.8%" in text(400, 90)
    # nothing to measure: no figure, the whole range
    assert "out_of_scope_recall          0.0%  0/0, 95 % interval 0.0%–100.0%" in text(1, 0)


def test_a_file_without_the_header_is_refused(tmp_path):
    path = tmp_path / "e.tsv"
    path.write_text("护照多少钱\t普通护照签发\tfee\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"e.tsv: the first line must be a header naming the columns query, item"):
        read_cases(path)


def test_bad_file_names_the_line(tmp_path):
    path = tmp_path / "e.tsv"
    path.write_text("query\titem\telement\n只有两列\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"e.tsv:2: expected 3 tab-separated columns, found 2"):
        read_cases(path)


def test_figures():
    cases = [Case("a", "A", "fee"), Case("b", "B", None), Case("c", None, None), Case("d", None, None)]
    answers = [
        answer("A", "fee"),
        answer(None, kind="clarify", names=("C", "B")),
        answer(None, kind="out_of_scope"),
        answer("A"),
    ]
    report = score(cases, answers)
    figures = report.figures()
    assert figures["item_accuracy@1"] == 0.5
    assert figures["item_accuracy@3"] == 1.0
    assert figures["element_accuracy"] == 1.0
    assert figures["out_of_scope_recall"] == 0.5
    assert figures["out_of_scope_precision"] == 1.0
    assert len(report.failures) == 2


def test_further_asks_count_as_answered_only_when_answered_from_a_guide():
    case = Case("护照多少钱？多久能拿到？在哪办？", "普通护照签发", "fee")
    first = answer("普通护照签发", "fee")
    first.parts = [answer("普通护照签发", "time_limit"), answer(None, kind="out_of_scope")]
    assert score([case], [first]).figures()["further_asks_answered"] == 0.5
    wrong = answer("普通护照补发", "fee")
    wrong.parts = [answer("普通护照补发", "time_limit")]
    assert "further_asks_answered" not in score([case], [wrong]).figures()  # the first ask's entry is wrong
