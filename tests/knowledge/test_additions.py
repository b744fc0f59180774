"""Reviewed additions (``additions.yaml``): a catalogue directory adds aliases and FAQ entries to entries of its own
or of another directory; checked as the catalogue is, with file and line; written, read back and undone; part of
the catalogue's version and of the index key; never baked into the entries' files by ``knowledge format``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from assistant.cli import app
from assistant.retrieval.index import IndexSettings, catalogue_files, index_key
from knowledge import additions
from knowledge.errors import CatalogueError
from knowledge.loader import check_directories, load_directories
from knowledge.schema import FAQ

NAME = "居民身份证首次申领"
ID = "resident-id-card-first"


@pytest.fixture
def city(write_catalogue, item_data) -> Path:
    return write_catalogue({"ps/resident-id-card-first.yaml": item_data})


def write(directory: Path, records: list[dict]) -> None:
    (directory / additions.FILE).write_text(
        yaml.safe_dump({"additions": records}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def test_an_addition_extends_the_entry_and_the_catalogue_version(city: Path) -> None:
    before = load_directories([city]).version()
    write(
        city,
        [{"entry": ID, "aliases": ["十六岁头回办证"], "faq": [{"question": "几岁能办？", "answer": "任何年龄。"}]}],
    )
    catalogue = load_directories([city])
    assert catalogue.get("十六岁头回办证").name == NAME
    assert catalogue.items[ID].faq[-1] == FAQ(question="几岁能办？", answer="任何年龄。")
    assert catalogue.version() != before
    assert check_directories([city])[0].get("十六岁头回办证") is not None  # `assistant knowledge validate`
    assert load_directories([city], additions=False).get("十六岁头回办证") is None


def test_a_later_directory_adds_to_an_entry_of_an_earlier_one(city: Path, tmp_path: Path, item_data: dict) -> None:
    other = tmp_path / "other"
    (other / "items").mkdir(parents=True)
    (other / "catalogue.yaml").write_text((city / "catalogue.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    item_data.update(id="other-item", name="另一个事项", aliases=[])
    (other / "items" / "other-item.yaml").write_text(yaml.safe_dump(item_data, allow_unicode=True), encoding="utf-8")
    write(other, [{"entry": ID, "aliases": ["身份证头一回办"]}])
    assert load_directories([city, other]).get("身份证头一回办").id == ID


def test_problems_name_the_file_line_and_reason(city: Path) -> None:
    write(
        city,
        [
            {"entry": "no-such-item", "aliases": ["x"]},
            {"entry": ID, "aliases": ["好的说法", NAME + "补"]},
        ],
    )
    with pytest.raises(CatalogueError) as refused:
        load_directories([city])
    [problem] = refused.value.problems
    assert (problem.code, problem.file, problem.line, problem.field) == (
        "E128",
        "cat/additions.yaml",
        2,
        "additions.0.entry",
    )
    assert "no-such-item" in problem.reason

    info = yaml.safe_load((city / "catalogue.yaml").read_text(encoding="utf-8"))
    (city / "catalogue.yaml").write_text(
        yaml.safe_dump({**info, "uncovered": ["工作居住证"]}, allow_unicode=True), encoding="utf-8"
    )
    write(city, [{"entry": ID, "aliases": ["工作居住证"]}, {"entry": ID, "unknown_field": 1}])
    with pytest.raises(CatalogueError) as refused:
        load_directories([city])
    codes = sorted(p.code for p in refused.value.problems)
    assert codes == ["E010"]  # a file that does not parse is refused before anything is checked
    write(city, [{"entry": ID, "aliases": ["工作居住证"]}])
    with pytest.raises(CatalogueError) as refused:
        load_directories([city])
    assert [(p.code, p.line) for p in refused.value.problems] == [("E127", 4)]


def test_append_writes_a_record_a_person_can_read_and_restore_undoes_it(city: Path) -> None:
    first = additions.append(city, additions.Addition(entry=ID, aliases=["十六岁头回办证"], proposed_by="wang"))
    assert first is None
    text = (city / additions.FILE).read_text(encoding="utf-8")
    assert text.startswith("# 经审核的补充")
    previous = additions.append(city, additions.Addition(entry=ID, aliases=["头一回办身份证"], approved_by="li"))
    assert previous == text
    loaded, _, problems = additions.load(city)
    assert problems == [] and loaded is not None
    assert [a.aliases for a in loaded.additions] == [["十六岁头回办证"], ["头一回办身份证"]]
    assert [a.proposed_by for a in loaded.additions] == ["wang", ""]
    additions.restore(city, previous)
    assert (city / additions.FILE).read_text(encoding="utf-8") == text
    additions.restore(city, None)
    assert not (city / additions.FILE).exists()


def test_an_addition_already_present_changes_nothing(city: Path) -> None:
    catalogue = load_directories([city])
    present = catalogue.items[ID].aliases[0]
    addition = additions.Addition(entry=ID, aliases=[present])
    assert additions.check(catalogue, addition) == [] and not additions.is_new(catalogue, addition)
    write(city, [{"entry": ID, "aliases": [present]}])
    assert load_directories([city]).items[ID].aliases == catalogue.items[ID].aliases


def test_the_file_is_part_of_the_index_key(city: Path) -> None:
    settings = IndexSettings()
    before = index_key([city], settings)
    write(city, [{"entry": ID, "aliases": ["十六岁头回办证"]}])
    assert catalogue_files([city])[-1] == city / additions.FILE
    assert index_key([city], settings) != before


def test_format_leaves_additions_out_of_the_entries_files(city: Path) -> None:
    assert CliRunner().invoke(app, ["knowledge", "format", str(city)]).exit_code == 0
    item = next((city / "items").rglob("*.yaml"))
    canonical = item.read_text(encoding="utf-8")
    write(city, [{"entry": ID, "aliases": ["十六岁头回办证"]}])
    result = CliRunner().invoke(app, ["knowledge", "format", "--check", str(city)])
    assert result.exit_code == 0, result.output
    assert item.read_text(encoding="utf-8") == canonical and "十六岁头回办证" not in canonical
