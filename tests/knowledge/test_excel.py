"""Excel export/import: staff edit a workbook, and a round trip loses nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ITEM
from openpyxl import load_workbook

from knowledge.catalogue import BUNDLED
from knowledge.errors import CatalogueError
from knowledge.excel import export_xlsx
from knowledge.importers import ImportRefused, import_workbook
from knowledge.loader import load_catalogues


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def test_bundled_catalogue_round_trips_byte_for_byte(tmp_path):
    source = tmp_path / "bundled"
    shutil.copytree(BUNDLED, source)
    catalogue = load_catalogues([source], bundled=False)
    book = tmp_path / "catalogue.xlsx"
    export_xlsx(catalogue, book, root=source)
    import_workbook(book, tmp_path / "back")
    assert tree(tmp_path / "back") == tree(source)


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
