"""Keeping the legal basis correct: every item records its last legal review, an old review is warned about, and a
basis citing a repealed text is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import INFO, ITEM, NAME

from knowledge import validate
from knowledge.errors import CatalogueError
from knowledge.loader import check_directories, load_catalogues
from knowledge.repealed import REPEALED_TEXTS, RepealedText, find_repealed, repealed_texts

TODAY = dt.date(2026, 12, 2)
IMPORTED = {**INFO, "require_complete": False}


def problems(root: Path) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        load_catalogues([root], bundled=False)
    return [str(p) for p in info.value.problems]


def warnings(root: Path, **options) -> list[str]:
    _, found = check_directories([root], **options)
    return [str(w) for w in found]


def line_no(root: Path, needle: str) -> int:
    lines = (root / "items" / ITEM).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# --- legal_review is required where the catalogue must be complete -------------------------------------------


def test_complete_catalogue_requires_a_legal_review(write_catalogue, item_data):
    del item_data["legal_review"]
    root = write_catalogue({ITEM: item_data})
    assert problems(root) == [
        f"cat/items/{ITEM}:1: {NAME}: legal_review: [E125] no legal_review; this catalogue requires every item to "
        "record when its legal basis was last reviewed: add legal_review with date (YYYY-MM-DD) and sources "
        "(the texts and articles read)."
    ]


def test_imported_catalogue_needs_no_legal_review(write_catalogue, item_data):
    del item_data["legal_review"]
    root = write_catalogue({ITEM: item_data}, info=IMPORTED)
    catalogue, found = check_directories([root], today=TODAY)
    assert catalogue.get(NAME).legal_review is None
    assert found == []


def test_legal_review_names_at_least_one_source(write_catalogue, item_data):
    item_data["legal_review"] = {"date": "2026-12-02", "sources": []}
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "sources: []")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: legal_review.sources: [E010] List should have at least 1 item after "
        "validation, not 0"
    ]


def test_legal_review_is_written_right_after_the_basis(write_catalogue, item_data):
    from knowledge.yamlio import dump

    root = write_catalogue({ITEM: item_data})
    keys = [line.split(":")[0] for line in dump(load_catalogues([root], bundled=False).get(NAME)).splitlines()]
    top = [k for k in keys if k and not k.startswith((" ", "-"))]
    assert top[top.index("basis") + 1] == "legal_review"


def test_legal_review_is_no_guide_element():
    from knowledge.glossary import ELEMENTS, METADATA

    assert "legal_review" not in ELEMENTS
    assert METADATA["legal_review"] == "法律依据审核"


# --- an old review is warned about, never refused ---------------------------------------------------------


def test_review_older_than_a_year_is_a_warning(write_catalogue, item_data):
    item_data["legal_review"]["date"] = "2025-11-30"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "date: '2025-11-30'")
    assert warnings(root, today=TODAY) == [
        f"cat/items/{ITEM}:{line}: {NAME}: legal_review.date: [W001] legal review of 2025-11-30 is 367 days old, "
        "more than 365; re-read the basis against the texts in force and update legal_review (date, sources)."
    ]
    catalogue, (warning,) = check_directories([root], today=TODAY)
    assert warning.is_warning
    assert catalogue.get(NAME).legal_review.date == dt.date(2025, 11, 30)


def test_review_within_the_allowed_age_is_quiet(write_catalogue, item_data):
    item_data["legal_review"]["date"] = "2025-12-02"
    root = write_catalogue({ITEM: item_data})
    assert warnings(root, today=TODAY) == []


def test_catalogue_sets_the_allowed_age(write_catalogue, item_data):
    item_data["legal_review"]["date"] = "2026-10-01"
    root = write_catalogue({ITEM: item_data}, info={**INFO, "review_max_age_days": 30})
    (found,) = warnings(root, today=TODAY)
    assert found.endswith(
        "[W001] legal review of 2026-10-01 is 62 days old, more than 30; re-read the basis "
        "against the texts in force and update legal_review (date, sources)."
    )


def test_option_overrides_the_catalogues_allowed_age(write_catalogue, item_data):
    item_data["legal_review"]["date"] = "2026-10-01"
    root = write_catalogue({ITEM: item_data}, info={**INFO, "review_max_age_days": 30})
    assert warnings(root, today=TODAY, review_max_age_days=90) == []
    (found,) = warnings(root, today=TODAY, review_max_age_days=60)
    assert "is 62 days old, more than 60;" in found


def test_review_dated_after_today_is_a_warning(write_catalogue, item_data):
    item_data["legal_review"]["date"] = "2062-12-02"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "date: '2062-12-02'")
    assert warnings(root, today=TODAY) == [
        f"cat/items/{ITEM}:{line}: {NAME}: legal_review.date: [W003] legal review date 2062-12-02 is after today "
        "(2026-12-02); correct the date."
    ]


# --- a basis citing a repealed text is refused ---------------------------------------------------------------


def test_basis_citing_a_repealed_text_is_refused(write_catalogue, item_data):
    item_data["basis"][0]["law"] = "《个体工商户条例》"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "law: 《个体工商户条例》")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: basis.0.law: [E126] cites 《个体工商户条例》, repealed on 2022-11-01 by "
        "《促进个体工商户发展条例》（国务院令第755号）第三十九条; cite the text in force instead: "
        "《促进个体工商户发展条例》（登记事项：《中华人民共和国市场主体登记管理条例》）."
    ]


def test_fee_basis_citing_a_repealed_text_is_refused_in_any_catalogue(write_catalogue, item_data):
    item_data["fee"] = {
        "charged": True,
        "items": [{"name": "登记费", "standard": "10元", "basis": "《公司登记管理条例》 第九十五条"}],
    }
    root = write_catalogue({ITEM: item_data}, info=IMPORTED)
    line = line_no(root, "basis: 《公司登记管理条例》")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: fee.items.0.basis: [E126] cites 《中华人民共和国公司登记管理条例》, "
        "repealed on 2022-03-01 by 《中华人民共和国市场主体登记管理条例》（国务院令第746号）第五十五条; "
        "cite the text in force instead: 《中华人民共和国市场主体登记管理条例》."
    ]


@pytest.mark.parametrize(
    "law",
    [
        "《中华人民共和国市场主体登记管理条例》",
        "《促进个体工商户发展条例》",
        "《中华人民共和国市场主体登记管理条例实施细则》",
        "《婚姻登记条例》（2025年修订）",
    ],
)
def test_texts_in_force_are_not_taken_for_repealed_ones(write_catalogue, item_data, law):
    item_data["basis"][0]["law"] = law
    root = write_catalogue({ITEM: item_data})
    assert load_catalogues([root], bundled=False).get(NAME).basis[0].law == law


def test_repeal_still_to_come_is_a_warning_then_an_error(write_catalogue, item_data, monkeypatch):
    coming = RepealedText(
        title="《示例暂行办法》",
        repealed_on=dt.date(2027, 1, 1),
        repealed_by="《示例法》第九十条",
        replaced_by="《示例法》",
        source="《示例法》第九十条",
    )
    monkeypatch.setattr(validate, "repealed_texts", lambda: (coming,))
    item_data["basis"][0]["law"] = "《示例暂行办法》"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "law: 《示例暂行办法》")
    assert warnings(root, today=TODAY) == [
        f"cat/items/{ITEM}:{line}: {NAME}: basis.0.law: [W002] cites 《示例暂行办法》, which 《示例法》第九十条 "
        "repeals on 2027-01-01; cite 《示例法》 from that day."
    ]
    with pytest.raises(CatalogueError, match=r"basis\.0\.law: \[E126\] cites 《示例暂行办法》, repealed on 2027-01-01"):
        check_directories([root], today=dt.date(2027, 1, 1))


def test_shipped_list_of_repealed_texts_is_valid_and_sourced():
    texts = repealed_texts()
    assert REPEALED_TEXTS.name == "repealed_texts.yaml"
    assert len(texts) >= 6
    titles = [t.title for t in texts]
    assert len(set(titles)) == len(titles)
    for text in texts:
        assert text.title.startswith("《") and text.title.endswith("》")
        assert text.source and text.replaced_by
        assert find_repealed(text.title, texts) is text
        assert find_repealed(text.replaced_by.split("》")[0] + "》", texts) is None
