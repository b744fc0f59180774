"""Import of the real Guangdong provincial export (../shared/data/gd-policy.jsonl)."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED

from knowledge.importers import ImportRefused, import_gd_jsonl
from knowledge.loader import load_catalogues

GD = SHARED / "data" / "gd-policy.jsonl"


@pytest.fixture(scope="module")
def gd_catalogue(tmp_path_factory):
    if not GD.exists():
        pytest.skip("../shared/data/gd-policy.jsonl is not beside the project")
    out = tmp_path_factory.mktemp("gd") / "gd"
    import_gd_jsonl(GD, out)
    return load_catalogues([out], bundled=False)


@pytest.mark.integration
def test_every_record_becomes_a_valid_item(gd_catalogue):
    assert len(gd_catalogue.items) == 2262


@pytest.mark.integration
def test_materials_come_across(gd_catalogue):
    source = {}
    for line in GD.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if isinstance(record["material_intro"], list):
            source[record["TASK_CODE"].lower()] = [m.strip() for m in record["material_intro"] if m.strip()]
    for item in gd_catalogue.items.values():
        expected = list(dict.fromkeys(source.get(item.id.removeprefix("gd-"), [])))
        assert [m.name for m in item.materials] == expected
    assert sum(len(i.materials) for i in gd_catalogue.items.values()) > 3000


@pytest.mark.integration
def test_missing_elements_are_marked_unknown_not_invented(gd_catalogue):
    item = gd_catalogue.get("结婚登记预约")
    assert item.basis == [] and "basis" in item.unknown
    assert item.fee.charged is None and "fee" in item.unknown
    assert item.result is None and "result" in item.unknown
    assert item.legal_time_limit.amount == 1 and "legal_time_limit" not in item.unknown


@pytest.mark.integration
def test_near_duplicate_names_stay_apart(gd_catalogue):
    names = {i.name for i in gd_catalogue.items.values()}
    assert "首次办理普通护照办证进度查询" in names
    assert len(names) == 2262


def test_wrong_file_is_refused(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"hello": 1}\n', encoding="utf-8")
    with pytest.raises(ImportRefused, match="not a Guangdong export"):
        import_gd_jsonl(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
