"""``catalogue.yaml``'s option_synonyms: words every option of one label reads, written once for the catalogue."""

from __future__ import annotations

from conftest import INFO, ITEM, NAME
from typer.testing import CliRunner

from assistant.cli import app
from knowledge.loader import load_catalogues
from nlu.options import Choice, story_answers

SHARED_WORDS = {**INFO, "option_synonyms": {"未满十六周岁": ["小孩", "幼童"]}}


def test_an_option_reads_its_own_words_then_the_catalogues(write_catalogue, item_data):
    item_data["scenario"][0]["options"][0]["synonyms"] = ["未满16", "小孩"]
    root = write_catalogue({ITEM: item_data}, info=SHARED_WORDS)
    question = load_catalogues([root], bundled=False).get(NAME).scenario[0]
    assert question.options[0].synonyms == ["未满16", "小孩", "幼童"]
    assert question.options[1].synonyms == []
    assert story_answers([Choice.of(question)], "幼童要办身份证，去哪里办") == {"under_16": "yes"}


def test_format_leaves_the_shared_words_out_of_the_items_files(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data}, info=SHARED_WORDS)
    assert CliRunner().invoke(app, ["knowledge", "format", str(root)]).exit_code == 0
    result = CliRunner().invoke(app, ["knowledge", "format", "--check", str(root)])
    assert result.exit_code == 0, result.output
    assert "幼童" not in (root / "items" / ITEM).read_text(encoding="utf-8")
    assert "幼童" in (root / "catalogue.yaml").read_text(encoding="utf-8")
