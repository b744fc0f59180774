"""Excel export and import of a catalogue, laid out for staff to edit.

One workbook: sheet 事项 has one row per item (nested elements such as 收费标准 or 网上办理 spread over
columns like ``fee.charged``); every list of records gets its own sheet (申请材料, 办理情形, 办理情形-选项 …)
whose first columns say which item (and which parent row) a row belongs to. Bundles get the same layout
under sheets starting with 一件事. Row 1 holds the Chinese headers, row 2 the machine keys; data starts at
row 3. The layout is derived from the schema, so a new field appears in the workbook without code here.

Example:
    >>> from knowledge.loader import load_catalogues
    >>> from pathlib import Path
    >>> import tempfile
    >>> cat = load_catalogues()
    >>> path = Path(tempfile.mkdtemp()) / "catalogue.xlsx"
    >>> export_xlsx(cat, path)
    >>> read_xlsx(path).items == cat.items
    True
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from pydantic import BaseModel, TypeAdapter

from knowledge.catalogue import Catalogue
from knowledge.schema import Bundle, CatalogueInfo, Item

TRUE, FALSE = "是", "否"
INFO_SHEET = "目录信息"
FILE_KEY = "@file"
RECORD_KEY = "@id"


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional) of ``X | None``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_list(tp: Any) -> type[BaseModel] | None:
    if typing.get_origin(tp) is list:
        (arg,) = typing.get_args(tp)
        if _is_model(arg):
            return arg
    return None


def _has_model_list(model: type[BaseModel]) -> bool:
    for f in model.model_fields.values():
        tp, _ = _unwrap(f.annotation)
        if _model_list(tp) or (_is_model(tp) and _has_model_list(tp)):
            return True
    return False


@dataclass
class Column:
    """A cell column: a dotted path into the record, its type and its header."""

    path: tuple[str, ...]
    annotation: Any
    title: str
    json: bool = False  # an optional nested record kept as JSON in one cell
    in_optional: bool = False  # inside an optional nested record: an empty cell means "absent"

    @property
    def key(self) -> str:
        return ".".join(self.path)


@dataclass
class Sheet:
    """Layout of one sheet: which list of records it holds and its columns."""

    title: str
    steps: list[tuple[str, bool]]  # field names from the top record to this list; True where a step is a list
    model: type[BaseModel]
    columns: list[Column] = field(default_factory=list)

    @property
    def parents(self) -> list[str]:
        """Keys of the index columns: one per list on the way down."""
        return [name for name, is_list in self.steps if is_list]


def _columns(
    model: type[BaseModel],
    prefix: tuple[str, ...],
    title: str,
    sheets: list[Sheet],
    sheet: Sheet,
    in_optional: bool = False,
) -> None:
    for name, f in model.model_fields.items():
        tp, optional = _unwrap(f.annotation)
        label = f"{title}{f.description or name}"
        sub = _model_list(tp)
        if sub is not None:
            child_title = f"{sheet.title}-{label}" if sheet.steps else label
            child = Sheet(
                title=child_title,
                steps=[*sheet.steps, *((p, False) for p in prefix), (name, True)],
                model=sub,
            )
            sheets.append(child)
            _columns(sub, (), "", sheets, child)
        elif _is_model(tp) and (optional and _has_model_list(tp)):
            sheet.columns.append(Column((*prefix, name), f.annotation, f"{label}（JSON）", json=True))
        elif _is_model(tp):
            _columns(tp, (*prefix, name), f"{label}-", sheets, sheet, in_optional or optional)
        else:
            sheet.columns.append(Column((*prefix, name), f.annotation, label, in_optional=in_optional))


def layout(model: type[BaseModel], title: str) -> list[Sheet]:
    """Every sheet for records of ``model``, the top sheet first."""
    top = Sheet(title=title, steps=[], model=model)
    sheets = [top]
    _columns(model, (), "", sheets, top)
    for sheet in sheets[1:]:
        sheet.title = f"{title}-{sheet.title}" if title != "事项" else sheet.title
        sheet.title = sheet.title[:31]
    return sheets


ITEM_SHEETS = layout(Item, "事项")
BUNDLE_SHEETS = layout(Bundle, "一件事")


def _to_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) if value else None
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
    if value == "":
        return None
    return value


def _from_cell(value: Any, column: Column) -> Any:
    tp, optional = _unwrap(column.annotation)
    if value is None or value == "":
        if column.json or optional or column.in_optional:
            return None
        if typing.get_origin(tp) is list:
            return []
        return ""
    if column.json:
        return json.loads(value)
    if typing.get_origin(tp) is list:
        return [line for line in str(value).split("\n") if line.strip()]
    if tp is bool:
        if isinstance(value, bool):
            return value
        return {TRUE: True, FALSE: False}.get(str(value).strip(), value)
    if tp is int:
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if tp is str or typing.get_origin(tp) is Literal or tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return value


def _get(record: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if record is None:
            return None
        record = getattr(record, part)
    return record


def _rows(record: BaseModel, sheet: Sheet, top_id: str) -> list[list[Any]]:
    """Rows of ``sheet`` for one top-level record, with parent index columns."""

    def walk(obj: Any, path: tuple[str, ...], index: list[int]) -> list[tuple[list[int], Any]]:
        if not path:
            return [(index, obj)]
        value = getattr(obj, path[0])
        if isinstance(value, list):
            out = []
            for i, child in enumerate(value, 1):
                out += walk(child, path[1:], [*index, i])
            return out
        return walk(value, path[1:], index)

    rows = []
    for index, obj in walk(record, tuple(name for name, _ in sheet.steps), []):
        cells = [top_id, *index]
        cells += [_to_cell(_get(obj, c.path)) for c in sheet.columns]
        rows.append(cells)
    return rows


def _write_sheet(wb: Workbook, sheet: Sheet, rows: list[list[Any]], extra: Sequence[tuple[str, str]] = ()) -> None:
    ws = wb.create_sheet(sheet.title)
    keys = [RECORD_KEY, *(f"{p}#" for p in sheet.parents)] + [c.key for c in sheet.columns] + [k for k, _ in extra]
    titles = (
        ["所属编号", *(f"序号（{p}）" for p in sheet.parents)]
        + [c.title for c in sheet.columns]
        + [t for _, t in extra]
    )
    ws.append(titles)
    ws.append(keys)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(color="808080", size=8)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            _as_text(cell)
    ws.freeze_panes = "B3"
    for i, _ in enumerate(keys, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 18


def _as_text(cell: Cell) -> None:
    # A value starting with "=" must stay text, never become a formula.
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if "\n" in cell.value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def export_xlsx(catalogue: Catalogue, path: Path, *, root: Path | None = None) -> None:
    """Write the catalogue (items, bundles, catalogue info) to one workbook.

    Args:
        catalogue: the loaded catalogue (one directory).
        path: the .xlsx file to write.
        root: the catalogue directory, so each item row records its file (keeps the folder layout on import).
    """
    wb = Workbook()
    wb.remove(wb.active)
    info_ws = wb.create_sheet(INFO_SHEET)
    info_ws.append(["键", "值"])
    for info in catalogue.infos[:1]:
        for key, value in info.model_dump(mode="json").items():
            # a section (contacts) is one row per field, its key dotted: contacts.hotline
            for row_key, row_value in value.items() if isinstance(value, dict) else [(None, value)]:
                info_ws.append([f"{key}.{row_key}" if row_key else key, _to_cell(row_value)])
                _as_text(info_ws.cell(info_ws.max_row, 2))
    for sheets, records in ((ITEM_SHEETS, catalogue.items), (BUNDLE_SHEETS, catalogue.bundles)):
        for n, sheet in enumerate(sheets):
            rows = []
            for record in records.values():
                record_rows = _rows(record, sheet, record.id)
                if n == 0 and root is not None:
                    source = catalogue.sources[record.id]
                    rel = source.relative_to(root).as_posix() if source.is_relative_to(root) else ""
                    record_rows = [[*r, rel] for r in record_rows]
                rows += record_rows
            extra = [(FILE_KEY, "文件")] if n == 0 and root is not None else []
            _write_sheet(wb, sheet, rows, extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


@dataclass
class Workbook_:
    """What a workbook holds: catalogue info, items and bundles as models, and each record's file."""

    info: CatalogueInfo
    items: dict[str, Item]
    bundles: dict[str, Bundle]
    files: dict[str, str]


class WorkbookError(ValueError):
    """The workbook does not have the layout of an export, or a row does not fit the schema."""


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _prune(data: Any) -> Any:
    """Drop optional nested records whose cells were all empty."""
    if isinstance(data, dict):
        out = {k: _prune(v) for k, v in data.items()}
        return {k: v for k, v in out.items() if not (isinstance(v, dict) and not v)}
    if isinstance(data, list):
        return [_prune(v) for v in data]
    return data


def _read_records(wb: Any, sheets: list[Sheet]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    records: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for n, sheet in enumerate(sheets):
        if sheet.title not in wb.sheetnames:
            raise WorkbookError(f"sheet '{sheet.title}' is missing; start from a workbook made by `knowledge export`")
        ws = wb[sheet.title]
        keys = [c.value for c in ws[2]]
        expected = [RECORD_KEY, *(f"{p}#" for p in sheet.parents)] + [c.key for c in sheet.columns]
        if keys[: len(expected)] != expected:
            raise WorkbookError(f"sheet '{sheet.title}': row 2 must hold the column keys {expected}")
        by_key = {c.key: c for c in sheet.columns}
        for row_no, row in enumerate(ws.iter_rows(min_row=3, values_only=True), 3):
            if all(v is None for v in row):
                continue
            record_id = str(row[0])
            indexes = [int(v) for v in row[1 : 1 + len(sheet.parents)]]
            data: dict[str, Any] = {}
            for key, value in zip(keys[1 + len(sheet.parents) :], row[1 + len(sheet.parents) :], strict=False):
                if key == FILE_KEY:
                    if value:
                        files[record_id] = str(value)
                    continue
                column = by_key.get(key)
                if column is None:
                    continue
                converted = _from_cell(value, column)
                if converted is None:
                    continue
                _set(data, column.path, converted)
            if n == 0:
                records[record_id] = data
                continue
            if record_id not in records:
                raise WorkbookError(f"sheet '{sheet.title}' row {row_no}: no record with id '{record_id}'")
            target: Any = records[record_id]
            remaining = list(indexes)
            for name, is_list in sheet.steps:
                # walk down to the list this row belongs to, through nested records
                if not is_list:
                    target = target.setdefault(name, {})
                    continue
                lst = target.setdefault(name, [])
                index = remaining.pop(0)
                while len(lst) < index:
                    lst.append({})
                if remaining:
                    target = lst[index - 1]
                else:
                    lst[index - 1] = data
    return {k: _prune(v) for k, v in records.items()}, files


def read_xlsx(path: Path) -> Workbook_:
    """Read a workbook written by :func:`export_xlsx` (and edited by staff) back into models.

    Raises:
        WorkbookError: the layout is not an export's, or a row does not fit the schema (the message names
            the sheet, the record and the field).
    """
    wb = load_workbook(path, read_only=False)
    if INFO_SHEET not in wb.sheetnames:
        raise WorkbookError(f"sheet '{INFO_SHEET}' is missing; start from a workbook made by `knowledge export`")
    info_data = {str(k): v for k, v in wb[INFO_SHEET].iter_rows(min_row=2, values_only=True) if k}
    info_columns = {name: Column((name,), f.annotation, name) for name, f in CatalogueInfo.model_fields.items()}
    for name, f in CatalogueInfo.model_fields.items():
        section = _unwrap(f.annotation)[0]
        if _is_model(section):
            for sub, g in section.model_fields.items():
                info_columns[f"{name}.{sub}"] = Column((name, sub), g.annotation, f"{name}.{sub}")
    for key in info_data:  # a mapping (option_synonyms) is one row per key, dotted: option_synonyms.本人办理
        name, _, sub = key.partition(".")
        annotation = CatalogueInfo.model_fields[name].annotation if name in CatalogueInfo.model_fields else None
        if sub and key not in info_columns and typing.get_origin(annotation) is dict:
            info_columns[key] = Column((name, sub), typing.get_args(annotation)[1], key)
    info_fields: dict[str, Any] = {}
    for key, value in info_data.items():
        if key in info_columns:
            _set(info_fields, info_columns[key].path, _from_cell(value, info_columns[key]))
    info = CatalogueInfo.model_validate(info_fields)
    items_raw, files = _read_records(wb, ITEM_SHEETS)
    bundles_raw, _ = _read_records(wb, BUNDLE_SHEETS)
    items = {k: _validate(Item, v, "事项", k) for k, v in items_raw.items()}
    bundles = {k: _validate(Bundle, v, "一件事", k) for k, v in bundles_raw.items()}
    return Workbook_(info=info, items=items, bundles=bundles, files=files)


def _validate(model: type[BaseModel], data: dict[str, Any], sheet: str, record_id: str) -> Any:
    from pydantic import ValidationError

    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WorkbookError(f"sheet '{sheet}', record '{record_id}', field '{where}': {first['msg']}") from None
