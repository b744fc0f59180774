"""Free answers and stories read against scenario options (pure Python, no model)."""

from __future__ import annotations

import pytest

from nlu.options import Choice, Option, match_options, story_answers

REASON = Choice(
    "reason",
    [
        Option("purchase", "购买、建造、翻建、大修自住住房", ["买房", "购房"]),
        Option("rent", "租房自住", ["租房", "付房租"]),
        Option("retirement", "离休、退休", ["退休", "退休了", "离休"]),
    ],
)
MARRIED = Choice(
    "previous_marriage",
    [Option("no", "双方都没有结过婚", ["头婚"]), Option("yes", "有一方或双方以前结过婚", ["二婚", "再婚"])],
)
AGENT = Choice("agent", [Option("self", "本人办理", ["自己去"]), Option("agent", "委托他人代办", ["代办", "委托"])])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("我已经退休了，想把公积金取出来，要带什么", {"reason": "retirement"}),
        ("我们是二婚，结婚登记要带什么", {"previous_marriage": "yes"}),
        ("我在外地，能委托家人代办吗", {"agent": "agent"}),
        ("我租房住，公积金怎么提", {"reason": "rent"}),
    ],
)
def test_what_a_story_tells_answers_the_options_it_names(message, expected):
    # as the checklist engine takes answers: an option id, a list of them for a multiple choice
    assert story_answers([REASON, MARRIED, AGENT], message) == expected


def test_a_negated_fact_answers_nothing():
    assert story_answers([REASON], "我还没退休，公积金提取要带什么") == {}
    assert story_answers([MARRIED], "我们都没有再婚过") == {}
    # ... nor one the words after it say cannot be done: 自己去不了 is no 本人办理, and the agent named is read
    assert story_answers([AGENT], "老人自己去不了，我能委托朋友去吗") == {"agent": "agent"}
    assert story_answers([AGENT], "自己去不方便") == {}
    # 不在 negates a place: "不在发证地" is not where the licence was issued
    place = Choice("place", [Option("issuing", "在核发地换证", ["发证地"]), Option("other", "异地换证", ["异地"])])
    assert story_answers([place], "不在发证地能不能换") == {}


AGE_BAND = Choice(
    "driver_age_band",
    [
        Option("under_63", "未满63周岁", []),
        Option("63_69", "63周岁以上、未满70周岁", []),
        Option("70_plus", "70周岁以上", []),
    ],
)
UNDER_16 = Choice("under_16", [Option("yes", "未满十六周岁", ["孩子"]), Option("no", "已满十六周岁", ["成年"])])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("我今年72岁，驾照快到期了", {"driver_age_band": "70_plus", "under_16": "no"}),
        ("我今年六十五周岁", {"driver_age_band": "63_69", "under_16": "no"}),
        ("闺女才十岁，能办身份证吗", {"driver_age_band": "under_63", "under_16": "yes"}),
        ("不满16岁可以办身份证吗", {"driver_age_band": "under_63", "under_16": "yes"}),  # just under the bound
        # a bound passed or a band tells no age; an age asked or masked is none
        ("驾驶人年龄过了60岁还要体检吗", {}),
        ("60岁以上的老人怎么换证", {}),
        ("我今年**岁", {}),
        ("多大岁数要换证", {}),
        # an age and a word naming the other option: neither ("我45岁" is the parent's, 孩子 the applicant)
        ("我45岁，帮孩子办身份证", {"driver_age_band": "under_63"}),
    ],
)
def test_an_age_told_answers_a_question_whose_options_bound_ages(message, expected):
    assert story_answers([AGE_BAND, UNDER_16], message) == expected


PAID = Choice(
    "contribution_years",
    [
        Option("u1", "不满1年", []),
        Option("1_5", "满1年不足5年", []),
        Option("5_10", "满5年不足10年", []),
        Option("10", "10年以上", []),
    ],
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("交了三年失业险能领几个月失业金", {"contribution_years": "1_5"}),
        ("做了七年，之前在本市一共交了七年社保", {"contribution_years": "5_10"}),
        ("累计交失业保险满6年了", {"contribution_years": "5_10"}),
        ("单位给我交失业保险大概交了十个月", {"contribution_years": "u1"}),
        # years worked, years masked, months asked: none
        ("在公司干了八年", {}),
        ("交了**年", {}),
        ("失业金最多能领几个月", {}),
    ],
)
def test_the_years_paid_answer_a_question_whose_options_bound_years(message, expected):
    assert story_answers([PAID], message) == expected


def test_a_story_naming_two_options_of_a_single_choice_answers_neither():
    assert story_answers([REASON], "我租房住，也想买房") == {}


def test_a_multiple_choice_takes_every_option_the_story_names():
    papers = Choice("papers", [Option("id", "身份证", []), Option("book", "户口簿", [])], multiple=True)
    assert story_answers([papers], "我带了身份证和户口簿") == {"papers": ["id", "book"]}


def test_bare_yes_and_no_words_are_no_story():
    yes_no = Choice("q", [Option("y", "是", ["有"]), Option("n", "否", ["没有"])])
    assert story_answers([yes_no], "我没有户口簿，有身份证") == {}


def test_a_free_answer_to_the_question_being_asked():
    assert match_options(MARRIED, "第二个") == ["yes"]
    assert match_options(MARRIED, "我们是二婚") == ["yes"]
    assert match_options(MARRIED, "天气") is None


def _yes_no(text: str, *labels: str) -> Choice:
    return Choice("q", [Option(f"o{n}", label) for n, label in enumerate(labels)], text=text)


@pytest.mark.parametrize(
    ("question", "labels", "yes"),
    [
        ("是否委托他人代为办理？", ("本人办理", "委托他人代为办理"), "o1"),  # the option that says what is asked
        ("孩子的户籍是否在示例市？", ("户籍在示例市", "户籍不在示例市（随迁子女）"), "o0"),  # the other negates
        ("您或对方是否改过姓名？", ("改过名", "没有改过名"), "o0"),
        ("申请人是否未满十六周岁？", ("已满十六周岁", "未满十六周岁"), "o1"),  # the question asks a negation
        ("是否以实物等非货币财产出资？", ("全部为货币出资", "有非货币财产出资"), "o1"),  # 非 is the question's own
        ("车辆是否属于免检车型？", ("是（免予安全技术检验）", "否（需要安全技术检验）"), "o0"),
    ],
)
def test_a_bare_yes_or_no_answers_a_yes_no_question_whose_options_are_choices(question, labels, yes):
    choice = _yes_no(question, *labels)
    no = "o0" if yes == "o1" else "o1"
    assert match_options(choice, "是的") == [yes] and match_options(choice, "对") == [yes]
    assert match_options(choice, "不是") == [no] and match_options(choice, "没有") == [no]


def test_a_bare_yes_answers_no_question_that_is_not_a_yes_no_question():
    # "借款人的婚姻状况是？": 已婚 is not "yes"; nor is a question of two places
    assert match_options(_yes_no("借款人的婚姻状况是？", "已婚", "未婚、离异或丧偶"), "是的") is None
    assert match_options(_yes_no("您在哪里申请？", "在户籍所在地申请", "在居住地申请"), "不是") is None
    # options that tell the yes from the no by nothing: asked again rather than guessed
    assert match_options(_yes_no("新住所是否在辖区以外？", "在辖区内", "迁出辖区"), "是的") is None
