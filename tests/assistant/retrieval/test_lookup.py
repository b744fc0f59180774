"""The staff search (assistant.retrieval.lookup): what a window clerk types, what comes first.

(Kept beside the API tests that use it; it mirrors ``assistant/lookup.py``.)
"""

from __future__ import annotations

import pytest

from assistant.retrieval.lookup import ItemLookup
from knowledge.catalogue import Catalogue


@pytest.fixture(scope="module")
def lookup(bundled: Catalogue) -> ItemLookup:
    return ItemLookup(bundled)


def names(lookup: ItemLookup, query: str, **kwargs) -> list[str]:
    return [hit.name for hit in lookup.search(query, **kwargs)]


def test_initials_sfz_find_the_resident_id_card_items_first(lookup: ItemLookup) -> None:
    found = names(lookup, "sfz")
    id_cards = {"居民身份证首次申领", "居民身份证换领", "居民身份证补领", "临时居民身份证申领"}
    assert set(found[: len(id_cards)]) == id_cards


def test_initials_hz_find_the_passport_items_first(lookup: ItemLookup) -> None:
    assert names(lookup, "hz")[:2] == ["普通护照签发", "普通护照补发"]


@pytest.mark.parametrize("query", ["huzhao", "huz", "HuZhao", "ｈｚ", "hu zhao"])
def test_full_or_cut_pinyin_in_any_case_and_width(lookup: ItemLookup, query: str) -> None:
    assert names(lookup, query)[:2] == ["普通护照签发", "普通护照补发"]


def test_mixed_full_and_initial_syllables(lookup: ItemLookup) -> None:
    assert names(lookup, "shenfz") == names(lookup, "sfz")


def test_chinese_text_in_simplified_or_traditional(lookup: ItemLookup) -> None:
    assert names(lookup, "身份證") == names(lookup, "身份证")
    assert "居民身份证补领" in names(lookup, "身份证")


def test_alias_finds_its_item(lookup: ItemLookup) -> None:
    assert names(lookup, "扯证")[0] == "内地居民结婚登记"  # a colloquial alias
    assert names(lookup, "身份证丢了") == ["居民身份证补领"]


def test_exact_name_ranks_above_a_match_inside_another_name(lookup: ItemLookup) -> None:
    assert names(lookup, "出生登记")[0] == "出生登记"


def test_every_word_must_match(lookup: ItemLookup) -> None:
    assert names(lookup, "护照 补") == ["普通护照补发"]
    assert names(lookup, "hz bf")[0] == "普通护照补发"
    assert "普通护照签发" not in names(lookup, "hz bf")


def test_bundles_are_found_and_marked(lookup: ItemLookup) -> None:
    hits = lookup.search("企业开办")
    assert hits[0].name == "企业开办一件事"
    assert hits[0].kind == "bundle"


def test_empty_query_lists_everything_in_catalogue_order(lookup: ItemLookup, bundled: Catalogue) -> None:
    assert [hit.id for hit in lookup.search("  ")] == [entry.id for entry in bundled.entries()]


def test_department_filter(lookup: ItemLookup) -> None:
    department = "公安机关出入境管理部门"
    assert department in lookup.departments()
    found = lookup.search("", department=department)
    assert found and {hit.department for hit in found} == {department}
    assert names(lookup, "sfz", department=department) == []


def test_nonsense_and_markup_find_nothing(lookup: ItemLookup) -> None:
    assert lookup.search("<script>alert(1)</script>") == []
    assert lookup.search("qqqqqq") == []
    assert lookup.search("(((") == []  # regex characters are plain text


def test_hit_json_has_exactly_the_listed_fields(lookup: ItemLookup) -> None:
    assert lookup.search("hz")[0].to_dict() == {
        "id": "ordinary-passport-issuance",
        "name": "普通护照签发",
        "kind": "item",
        "department": "公安机关出入境管理部门",
    }
