"""The fact-question splits stay true to the guides: a guide edited under an expected word is caught."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "eval" / "check_facts.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_facts", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_expected_word_stands_in_its_guide_and_no_question_is_in_both_splits(check, capsys):
    assert check.main() == 0
    assert "facts_dev.tsv: " in capsys.readouterr().out


def test_a_word_the_guide_does_not_hold_or_an_unknown_item_is_reported(check, tmp_path):
    bad = tmp_path / "facts.tsv"
    bad.write_text(
        "query\titem\telement\texpect\n离婚冷静期多久\t内地居民离婚登记\tconditions\t45日\n"
        "结婚要钱吗\t结婚登记\tfee\t不收费\n",
        encoding="utf-8",
    )
    found, rows = check.problems(bad, check.guides())
    assert len(rows) == 2
    assert any("'45日' is not in the guide of 内地居民离婚登记" in p for p in found)
    assert any("'结婚登记' is no item" in p for p in found)


@pytest.mark.parametrize(
    ("split", "size", "long"),
    [
        ("long_dev.tsv", 150, True),
        ("long_dev2.tsv", 120, True),
        ("portal_dev.tsv", 150, False),
        ("multi_dev2.tsv", 40, True),
    ],
)
def test_the_mixed_splits_name_catalogue_entries_and_quote_their_guides(check, split, size, long):
    # tests/eval/long_dev*.tsv, portal_dev.tsv, multi_dev2.tsv: every item is an entry of the catalogue (or "-"), every expected word
    # in its guide; the long-message splits hold long messages only
    import csv

    texts = check.guides()
    path = SCRIPT.parent / split
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) >= size and (not long or all(len(row["query"]) > check.LONG for row in rows))
    for row in rows:
        if row["item"] == "-":
            assert row["element"] == "-" and not row["expect"], row
            continue
        assert row["item"] in texts, row["item"]
        for word in filter(None, row["expect"].split("|")):
            assert word in texts[row["item"]], (row["item"], word)
