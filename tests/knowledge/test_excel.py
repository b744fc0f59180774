"""Excel export/import: staff edit a workbook, and a round trip loses nothing."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import INFO, ITEM, NAME
from openpyxl import load_workbook

from knowledge.catalogue import BUNDLED
from knowledge.errors import CatalogueError
from knowledge.excel import export_xlsx
from knowledge.importers import ImportRefused, import_workbook
from knowledge.loader import load_catalogues
from knowledge.yamlio import write


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def test_bundled_catalogue_round_trips_byte_for_byte(tmp_path):
    source = tmp_path / "bundled"
    shutil.copytree(BUNDLED, source)
    catalogue = load_catalogues([source], bundled=False, additions=False)  # as `knowledge export` loads it
    book = tmp_path / "catalogue.xlsx"
    export_xlsx(catalogue, book, root=source)
    import_workbook(book, tmp_path / "back")
    assert tree(tmp_path / "back") == tree(source)


def canonical(root: Path) -> None:
    """Rewrite a catalogue written by ``write_catalogue`` in canonical form (what format and import write)."""
    catalogue = load_catalogues([root], bundled=False)
    for entry in catalogue.entries():
        write(entry, catalogue.sources[entry.id])
    write(catalogue.infos[0], root / "catalogue.yaml")


def reviewed_catalogue(write_catalogue, item_data: dict, **info) -> Path:
    """An imported catalogue of two items: one with a legal review (two sources), one without."""
    item_data["legal_review"] = {
        "date": "2026-12-02",
        "sources": ["《中华人民共和国居民身份证法》（2011年修正）第八条", "=《居民身份证申领登记表》填写说明"],
    }
    other = copy.deepcopy(item_data)
    other.update({"id": "resident-id-card-second", "name": "居民身份证第二事项", "aliases": []})
    del other["legal_review"]
    root = write_catalogue(
        {ITEM: item_data, "ps/resident-id-card-second.yaml": other},
        info={**INFO, "require_complete": False, **info},
    )
    canonical(root)
    return root


def test_legal_review_round_trips_byte_for_byte(write_catalogue, item_data, tmp_path):
    root = reviewed_catalogue(write_catalogue, item_data, review_max_age_days=180)
    assert "legal_review:" in (root / "items" / ITEM).read_text(encoding="utf-8")
    assert "review_max_age_days: 180" in (root / "catalogue.yaml").read_text(encoding="utf-8")
    book = tmp_path / "reviewed.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    ws = load_workbook(book)["事项"]
    keys = [c.value for c in ws[2]]
    row = {keys[i]: c.value for i, c in enumerate(ws[3])}
    assert row["legal_review.date"] == "2026-12-02"
    assert row["legal_review.sources"] == (
        "《中华人民共和国居民身份证法》（2011年修正）第八条\n=《居民身份证申领登记表》填写说明"
    )
    import_workbook(book, tmp_path / "back")
    assert tree(tmp_path / "back") == tree(root)


def test_staff_edit_of_the_legal_review_reaches_the_catalogue(write_catalogue, item_data, tmp_path):
    root = reviewed_catalogue(write_catalogue, item_data)
    book = tmp_path / "edit.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    wb = load_workbook(book)
    ws = wb["事项"]
    keys = [c.value for c in ws[2]]
    ws.cell(3, keys.index("legal_review.date") + 1).value = "2027-01-15"
    ws.cell(4, keys.index("legal_review.date") + 1).value = "2027-01-16"
    ws.cell(4, keys.index("legal_review.sources") + 1).value = "《中华人民共和国居民身份证法》第九条"
    wb.save(book)
    import_workbook(book, root)
    catalogue = load_catalogues([root], bundled=False)
    assert catalogue.get(NAME).legal_review.date == dt.date(2027, 1, 15)
    review = catalogue.get("居民身份证第二事项").legal_review
    assert (review.date, review.sources) == (dt.date(2027, 1, 16), ["《中华人民共和国居民身份证法》第九条"])


def test_legal_review_with_a_bad_date_is_refused(write_catalogue, item_data, tmp_path):
    root = reviewed_catalogue(write_catalogue, item_data)
    before = tree(root)
    book = tmp_path / "bad.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    wb = load_workbook(book)
    ws = wb["事项"]
    ws.cell(3, [c.value for c in ws[2]].index("legal_review.date") + 1).value = "上个月"
    wb.save(book)
    with pytest.raises(ImportRefused, match=r"field 'legal_review.date'"):
        import_workbook(book, root)
    assert tree(root) == before


def test_workbook_has_one_row_per_item_and_sub_tables(tmp_path, bundled):
    book = tmp_path / "catalogue.xlsx"
    export_xlsx(bundled, book, root=BUNDLED)
    wb = load_workbook(book)
    assert {"事项", "申请材料", "办理情形", "办理情形-选项", "一件事"} <= set(wb.sheetnames)
    items = wb["事项"]
    assert items.max_row - 2 == len(bundled.items)
    headers = [c.value for c in items[1]]
    assert "事项名称" in headers
    assert any(str(h).startswith("收费标准-是否收费") for h in headers)
    materials = wb["申请材料"]
    assert materials.max_row - 2 == sum(len(i.materials) for i in bundled.items.values())


def test_staff_edit_in_excel_reaches_the_catalogue(write_catalogue, item_data, tmp_path):
    root = write_catalogue({ITEM: item_data})
    book = tmp_path / "edit.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    wb = load_workbook(book)
    ws = wb["事项"]
    column = [c.value for c in ws[2]].index("office_hours") + 1
    ws.cell(3, column).value = "示例市：周一至周日 8:00-20:00（虚构示例）"
    wb.save(book)
    import_workbook(book, root)
    item = load_catalogues([root], bundled=False).get("居民身份证首次申领")
    assert item.office_hours == "示例市：周一至周日 8:00-20:00（虚构示例）"


def test_formula_like_text_stays_text(write_catalogue, item_data, tmp_path):
    item_data["traffic"] = '=HYPERLINK("http://evil")示例市'
    root = write_catalogue({ITEM: item_data})
    book = tmp_path / "x.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    cell = next(c for c in load_workbook(book)["事项"][3] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_invalid_edit_is_refused_and_the_catalogue_is_kept(write_catalogue, item_data, tmp_path):
    root = write_catalogue({ITEM: item_data})
    before = tree(root)
    book = tmp_path / "bad.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    wb = load_workbook(book)
    ws = wb["申请材料"]
    column = [c.value for c in ws[2]].index("form") + 1
    ws.cell(3, column).value = "扫描件"
    wb.save(book)
    with pytest.raises(ImportRefused, match=r"field 'materials.0.form'"):
        import_workbook(book, root)
    assert tree(root) == before


def test_semantic_error_in_workbook_is_refused_and_the_catalogue_is_kept(write_catalogue, item_data, tmp_path):
    root = write_catalogue({ITEM: item_data})
    before = tree(root)
    book = tmp_path / "bad.xlsx"
    export_xlsx(load_catalogues([root], bundled=False), book, root=root)
    wb = load_workbook(book)
    ws = wb["办理地点"]
    column = [c.value for c in ws[2]].index("address") + 1
    ws.cell(3, column).value = "北京市某路"
    wb.save(book)
    with pytest.raises(CatalogueError, match="E120"):
        import_workbook(book, root)
    assert tree(root) == before


def test_workbook_not_made_by_export_is_refused(tmp_path):
    from openpyxl import Workbook

    book = tmp_path / "random.xlsx"
    Workbook().save(book)
    with pytest.raises(ImportRefused, match="sheet '目录信息' is missing"):
        import_workbook(book, tmp_path / "out")
