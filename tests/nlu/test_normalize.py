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
        ("那能在这边补吗？", "能在这边补吗"),  # a follow-up's opening 那 (jieba would cut 那能 as a word)
        ("那么要多少钱", "要多少钱"),
        ("那边能办吗", "那边能办吗"),  # ... but not 那边, which names a place
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
        # a large catalogue's vocabulary holds everyday words too (its names: 退休证, 新增, 教学 …)
        "退休怎么办",  # 怎 belongs to 怎么 across the run's edge (退休怎 is not 退休证)
        "给员工开社保户",  # 社 of 社保 (开社 is not 开设)
        "要交学费吗",  # a two-character run keeps both characters: 学 of 学费 (交学 is not 教学)
        "新证有效期几年",  # 证 and 办 are typed on purpose (新证 is not 新增) ...
        "支付宝上办吗",  # ... (上办 is not 上班)
        "去哪个网点",  # a word of jieba's dictionary is typed on purpose (网点 is not 网店)
        "要交工本费吗",  # so is a rarer one of three characters: 工 of 工本费 (交工 is not 交公)
        "生二孩要登记吗",  # a numeral is typed on purpose (生二 is not 生儿)
    ],
)
def test_everyday_words_are_not_repaired_into_domain_words(typed):
    everyday = ["网上", "记上", "补办", "户口簿", "有效", "退休证", "开设", "教学", "新增", "上班", "网店", "交公"]
    everyday += ["生儿"]
    normalise = Normaliser([*VOCABULARY, *everyday])
    assert normalise(typed) == typed


def test_a_typo_is_repaired_to_the_closest_of_its_homophones():
    normalise = Normaliser([*VOCABULARY, "共赏", "工伤"])  # both read gong shang; 共赏 comes first
    assert normalise("公伤认定要什么材料") == "工伤认定要什么材料"


@pytest.mark.parametrize("typed", ["", "   ", "😀😀", "？？！！", "\x00\x01\x7f"])
def test_nothing_meaningful_gives_empty(normalise, typed):
    assert normalise(typed) == ""


def test_huge_input_is_cut(normalise):
    assert len(normalise("身份证" * 5000)) <= MAX_QUERY_CHARS


def test_markup_is_reduced_to_words(normalise):
    assert "<" not in normalise("<script>alert('身份证')</script>")
