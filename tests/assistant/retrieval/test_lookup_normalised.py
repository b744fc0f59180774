"""The staff search reads a query as question answering does (typos, colloquial words) and finds entries by the
names of their materials: what a window clerk types when the person at the counter names a document or
mistypes a word."""

from __future__ import annotations

import pytest

from assistant.retrieval.lookup import ItemLookup
from knowledge.catalogue import Catalogue

ID_CARD_ITEMS = {"居民身份证补领", "居民身份证换领", "居民身份证首次申领", "临时居民身份证申领"}


@pytest.fixture(scope="module")
def lookup(bundled: Catalogue) -> ItemLookup:
    return ItemLookup(bundled)  # no normaliser given: its own, over the catalogue's words


def names(lookup: ItemLookup, query: str) -> list[str]:
    return [hit.name for hit in lookup.search(query)]


def test_a_typo_finds_the_items_meant(lookup: ItemLookup) -> None:
    found = lookup.search("身分证")
    assert {hit.name for hit in found[:4]} == ID_CARD_ITEMS
    assert all(hit.material is None for hit in found[:4])  # found by their names


def test_a_typo_of_a_material_finds_the_items_that_ask_for_it(lookup: ItemLookup) -> None:
    found = lookup.search("户口薄")  # 薄 for 簿
    assert found[0].name == "居民户口簿补领"
    birth = next(hit for hit in found if hit.name == "出生登记")
    assert birth.material is not None and "户口簿" in birth.material


def test_a_material_name_lists_the_items_and_bundles_that_ask_for_it(lookup: ItemLookup, bundled: Catalogue) -> None:
    found = lookup.search("出生医学证明")
    asking = {
        entry.id
        for entry in bundled.entries()
        if any(
            "出生医学证明" in m.name
            for item in (bundled.members(entry) if entry.id in bundled.bundles else [entry])
            for m in item.materials
        )
    }
    assert {hit.id for hit in found} == asking
    assert "出生登记" in [hit.name for hit in found]
    assert "新生儿出生一件事" in [hit.name for hit in found]  # through its member 出生登记
    assert all(hit.material and "出生医学证明" in hit.material for hit in found)
    # a material of exactly that name ranks above one that merely mentions it
    exact = [hit.material == "出生医学证明" for hit in found]
    assert exact == sorted(exact, reverse=True)


def test_entries_found_by_name_come_before_those_found_by_a_material(lookup: ItemLookup) -> None:
    found = lookup.search("身份证")
    assert {hit.name for hit in found[:4]} == ID_CARD_ITEMS
    assert len(found) > 4 and all(hit.material for hit in found[4:])  # 67 items ask for an ID card


def test_the_query_as_typed_comes_before_its_normalised_form() -> None:
    from knowledge.loader import load_catalogues

    lookup = ItemLookup(load_catalogues(), normaliser=lambda text: "身份证")  # a normaliser that reads anything so
    found = names(lookup, "护照")
    assert found[:2] == ["普通护照签发", "普通护照补发"]
    assert set(found) >= ID_CARD_ITEMS
    assert found.index("居民身份证补领") > found.index("普通护照补发")


def test_the_normaliser_given_is_used(lookup: ItemLookup) -> None:
    from knowledge.loader import load_catalogues

    assert names(lookup, "结昏") == []  # the catalogue's own words hold no 结婚 to repair towards
    given = ItemLookup(load_catalogues(), normaliser=lambda text: text.replace("昏", "婚"))
    assert "内地居民结婚登记" in names(given, "结昏")


def test_pinyin_and_markup_are_not_read_as_chinese() -> None:
    from knowledge.loader import load_catalogues

    calls: list[str] = []

    def normaliser(text: str) -> str:
        calls.append(text)
        return text

    lookup = ItemLookup(load_catalogues(), normaliser=normaliser)
    assert names(lookup, "sfz")[0] == "居民身份证补领"
    assert lookup.search("<script>alert(1)</script>") == []
    assert calls == []


def test_one_character_does_not_search_materials(lookup: ItemLookup) -> None:
    assert all(hit.material is None for hit in lookup.search("证"))
    assert names(lookup, "护照 补") == ["普通护照补发"]


def test_every_word_must_be_in_one_material(lookup: ItemLookup) -> None:
    found = lookup.search("出生 证明")
    assert "出生登记" in [hit.name for hit in found]
    assert all("出生" in hit.material and "证明" in hit.material for hit in found if hit.material)


def test_the_api_row_is_the_entry_not_how_it_was_found(lookup: ItemLookup) -> None:
    hit = next(hit for hit in lookup.search("出生医学证明") if hit.id == "birth-registration")
    assert hit.material == "出生医学证明"
    assert hit.to_dict() == {
        "id": "birth-registration",
        "name": "出生登记",
        "kind": "item",
        "department": "示例市公安局各公安派出所（户口登记机关）",
    }
