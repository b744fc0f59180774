"""Normalisation: the question as typed becomes the form the index was built on."""

from __future__ import annotations

import pytest

from nlu.normalize import MAX_QUERY_CHARS, Normaliser

VOCABULARY = ["结婚证", "身份证", "户口迁移", "公积金", "护照", "结婚登记", "驾照"]


@pytest.fixture(scope="module")
def normalise() -> Normaliser:
    return Normaliser(VOCABULARY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("領結婚證要帶什麼", "领结婚证要带什么"),  # Traditional -> Simplified
        ("结昏证要带啥", "结婚证要带什么"),  # pinyin typo + colloquial 啥
        ("身分证丢了咋办", "身份证丢了怎么办"),
        ("怎摸办户口迁以", "怎么办户口迁移"),  # fuzzy pinyin (mo/me) and a typo in a domain word
        ("公基金怎么取", "公积金怎么取"),
        ("扯证要带啥", "结婚登记要带什么"),  # colloquial lexicon
        ("请问你好，护照多少钱呀？？😀", "护照多少钱"),  # filler, punctuation, emoji
        ("ＡＢＣ护照１２３", "abc护照123"),  # full width -> half width
        ("驾招补领", "驾驶证补领"),  # repaired to a colloquial word, which the lexicon then replaces
        ("办个证要多久", "办证要多久"),  # 办个 -> 办
        ("办个体营业执照要带什么", "办个体营业执照要带什么"),  # ... but not where 个 begins 个体
        ("咋办理", "怎么办理"),  # 咋办 is not taken whole before 办理, and 咋 is still read
    ],
)
def test_questions_are_normalised(normalise, typed, expected):
    assert normalise(typed) == expected


def test_correct_words_are_not_respelled(normalise):
    assert normalise("我要办理护照") == "我要办理护照"
    assert normalise("结婚证丢了") == "结婚证丢了"


@pytest.mark.parametrize(
    "typed",
    [
        "晚上能办吗",  # an everyday word that sounds like a domain word (网上)
        "手机上能办吗",  # kept whole, so 机上 is not read as 记上
        "星期六办不办",  # a function character is never a typo (不办 is not 补办)
        "户口不在本地",  # (户口不 is not 户口簿)
        "有小程序吗",  # (有小 is not 有效)
    ],
)
def test_everyday_words_are_not_repaired_into_domain_words(typed):
    normalise = Normaliser([*VOCABULARY, "网上", "记上", "补办", "户口簿", "有效"])
    assert normalise(typed) == typed


@pytest.mark.parametrize("typed", ["", "   ", "😀😀", "？？！！", "\x00\x01\x7f"])
def test_nothing_meaningful_gives_empty(normalise, typed):
    assert normalise(typed) == ""


def test_huge_input_is_cut(normalise):
    assert len(normalise("身份证" * 5000)) <= MAX_QUERY_CHARS


def test_markup_is_reduced_to_words(normalise):
    assert "<" not in normalise("<script>alert('身份证')</script>")
