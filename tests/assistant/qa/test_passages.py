"""The guide's sentence that answers an ask, found on the bundled guides (no index: milliseconds)."""

from __future__ import annotations

import pytest

from assistant.qa.passages import best_passage, passages


@pytest.fixture(scope="module")
def guide(bundled):
    return bundled.get


def test_a_period_the_law_sets_is_found_where_the_guide_states_it(guide) -> None:
    # 冷静期 stands in the conditions, not in the time limit the office takes
    lead = best_passage(guide("内地居民离婚登记"), ["离婚", "冷静期"], "duration")
    assert lead is not None and lead.element == "conditions"
    assert "30日" in lead.text and "冷静期" in lead.text


def test_an_age_question_leads_with_the_sentence_that_states_an_age(guide) -> None:
    lead = best_passage(guide("居民身份证首次申领"), ["孩子", "办身份证"], "age")
    assert lead is not None and "十六周岁" in lead.text


def test_a_yes_no_question_is_answered_by_the_faq_or_entry_that_holds_its_words(guide) -> None:
    lead = best_passage(guide("不动产转移登记"), ["赠与", "合同", "公证"], "yes_no")
    assert lead is not None and "自行决定" in lead.text


def test_words_every_passage_holds_lead_to_nothing(guide) -> None:
    # the item's own name tells nothing about which of its sentences answers
    assert best_passage(guide("住房公积金提取"), ["住房公积金", "提取"], "yes_no") is None
    assert best_passage(guide("住房公积金提取"), [], "duration") is None


def test_a_fact_question_naming_only_the_service_leads_with_the_sentence_stating_the_fact(guide) -> None:
    lead = best_passage(guide("内地居民结婚登记"), ["结婚"], "age")
    assert lead is not None and "二十二周岁" in lead.text


def test_a_fact_question_never_leads_with_a_sentence_stating_no_such_fact(guide) -> None:
    lead = best_passage(guide("居民身份证补领"), ["补领", "工本费"], "amount")
    assert lead is not None and "元" in lead.text


def test_passages_quote_the_guide_verbatim(guide) -> None:
    item = guide("内地居民结婚登记")
    texts = [p.text for p in passages(item)]
    assert all(c in texts for c in item.conditions)
    assert any(f.answer in t for f in item.faq for t in texts)
    assert passages(item) == passages(item)


def test_a_list_or_a_how_to_is_answered_by_its_element_not_one_sentence(guide) -> None:
    assert best_passage(guide("住房公积金提取"), ["退休"], "document") is None
    assert best_passage(guide("住房公积金提取"), ["退休"], None) is None
