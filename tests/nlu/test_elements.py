"""The spaCy pipeline's classifiers: the element asked, and in or out of scope."""

from __future__ import annotations

import pytest

from nlu.elements import ElementPipeline, add_user_words, jieba_state

pytestmark = pytest.mark.slow

CIVIL = {"marriage": ["内地居民结婚登记", "结婚证", "扯证"], "id-card": ["居民身份证补领", "身份证丢了"]}
OTHER = {"passport": ["普通护照签发", "护照"], "housing": ["公共租赁住房申请", "公租房"]}
QUESTIONS = ["要带什么材料", "多久能拿到", "在哪里办", "可以网上办吗", "收费吗", "能找人代办吗"]


@pytest.fixture(scope="module")
def civil() -> ElementPipeline:
    return ElementPipeline.train(CIVIL, seed=13, epochs=6)


@pytest.fixture(scope="module")
def other() -> ElementPipeline:
    return ElementPipeline.train(OTHER, seed=13, epochs=6)


def test_the_element_is_read_from_the_words_of_asking(civil):
    assert civil.analyse("结婚证要带什么材料").element == "materials"
    assert civil.analyse("身份证丢了多久能拿到").element == "time_limit"
    assert civil.analyse("扯证在哪里办").element == "location"


def test_a_bare_name_is_a_general_question(civil):
    analysis = civil.analyse("扯证")
    assert analysis.element is None and analysis.mentions == [("marriage", "扯证")]


def test_the_element_classifier_is_the_same_for_any_catalogue(civil, other):
    for question in QUESTIONS:
        assert civil.analyse(question).element == other.analyse(question).element, question


def test_chit_chat_is_out_of_scope_and_a_service_question_is_not(civil):
    assert civil.analyse("今天天气怎么样").out_of_scope > 0.5
    assert civil.analyse("帮我点个外卖").out_of_scope > 0.5
    assert civil.analyse("结婚证要带什么材料").out_of_scope < 0.5


def test_an_out_of_scope_message_naming_an_entry_is_not_learnt_as_out_of_scope():
    kept = ElementPipeline.out_of_scope_examples(OTHER)
    assert kept and not any("公租房" in message for message in kept)
    assert any("公租房" in message for message in ElementPipeline.out_of_scope_examples(CIVIL))


def test_teaching_jieba_a_name_twice_cuts_text_as_teaching_it_once(monkeypatch):
    # jieba's add_word adds to its total frequency on every call; a name taught twice (a build teaches the names,
    # then trains the ruler; two entries share an alias) cut "想去领证" unlike a process that loaded the index
    import jieba

    names = ["领证", "内地居民结婚登记"]
    once, _ = jieba_state(names)
    assert jieba_state([*names, *names])[0] == once
    monkeypatch.setattr(jieba, "dt", jieba.Tokenizer())  # this process's jieba is left as it is
    add_user_words(names)
    total = jieba.dt.total
    add_user_words(names)
    assert jieba.dt.total == total
    assert jieba.dt.lcut("我和对象想去领证") == ["我", "和", "对象", "想", "去", "领证"]


def test_a_large_catalogue_leaves_everyday_text_cut_as_jieba_cuts_it(monkeypatch):
    # each taught name added to jieba's total: 2,300 names cut "能在手机上办吗" as 在手/机上, and a question's
    # words (so its BM25 terms and mentions) changed with the size of the catalogue
    import jieba

    monkeypatch.setattr(jieba, "dt", jieba.Tokenizer())  # this process's jieba is left as it is
    questions = ["港澳签注能在手机上办吗", "我和对象想去领证", "临时身份证能用多久"]
    add_user_words(["港澳签注", "领证", "临时身份证"])
    small = [jieba.dt.lcut(q) for q in questions]
    add_user_words([f"示例事项{n}" for n in range(3000)])
    assert [jieba.dt.lcut(q) for q in questions] == small
    assert "手机" in small[0] and "去" in small[1] and "港澳签注" in small[0]
