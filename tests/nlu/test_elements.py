"""The spaCy pipeline's classifiers: the element asked, and in or out of scope."""

from __future__ import annotations

import pytest

from nlu.elements import ElementPipeline

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


def test_an_alias_added_to_one_entry_changes_only_the_questions_it_fills():
    # a city adds 办护照 to one entry: the scope classifier's other examples, and their order, stay as they were
    catalogue = {f"entry-{n}": [f"第{n}号事项登记"] for n in range(200)}
    before = ElementPipeline.in_scope_examples(catalogue, seed=13)
    after = ElementPipeline.in_scope_examples({**catalogue, "entry-7": ["第7号事项登记", "办护照"]}, seed=13)
    added = [q for q in after if q not in before]
    gone = [q for q in before if q not in after]
    assert added and all("办护照" in q for q in added)
    assert len(gone) == len(added)  # each took one phrase's place in its template
    kept = set(before) & set(after)
    assert [q for q in after if q in kept] == [q for q in before if q in kept]
