"""Importers: an Excel workbook made by ``knowledge export``, and the Guangdong provincial JSON-lines export.

Both write a catalogue directory only after the whole result validates; the directory is swapped in at
once, so a failed import leaves the previous catalogue untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.errors import CatalogueError
from knowledge.glossary import UNKNOWN
from knowledge.loader import load_catalogue
from knowledge.schema import Bundle, CatalogueInfo, Item
from knowledge.yamlio import write


class ImportRefused(ValueError):
    """The source cannot be imported (wrong layout, unreadable file); says what to do."""


def write_catalogue(
    info: CatalogueInfo,
    items: list[Item],
    bundles: list[Bundle],
    out_dir: Path,
    files: dict[str, str] | None = None,
) -> None:
    """Write a catalogue directory atomically: build it beside ``out_dir``, validate it, then swap it in.

    Args:
        files: item id -> path relative to the directory (keeps a hand-made folder layout).

    Raises:
        CatalogueError: the result does not validate; ``out_dir`` is left as it was.
    """
    files = files or {}
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write(info, staging / "catalogue.yaml")
        for item in items:
            rel = files.get(item.id) or f"items/{item.id}.yaml"
            write(item, staging / rel)
        for bundle in bundles:
            write(bundle, staging / "bundles" / f"{bundle.id}.yaml")
        try:
            load_catalogue(staging)
        except CatalogueError as exc:
            # Point messages at the target, not the staging folder that is about to disappear.
            moved = [replace(p, file=p.file.replace(str(staging), str(out_dir))) for p in exc.problems]
            raise CatalogueError(moved) from None
        backup = None
        if out_dir.exists():
            backup = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            out_dir.rename(backup)
        staging.rename(out_dir)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def import_workbook(path: Path, out_dir: Path) -> str:
    """Replace the catalogue in ``out_dir`` with the content of an edited workbook.

    Returns:
        A one-line report.
    """
    from knowledge.excel import WorkbookError, read_xlsx

    try:
        book = read_xlsx(path)
    except (OSError, WorkbookError, ValueError, KeyError) as exc:
        raise ImportRefused(f"{path}: {exc}") from exc
    write_catalogue(book.info, list(book.items.values()), list(book.bundles.values()), out_dir, book.files)
    return f"imported {len(book.items)} items and {len(book.bundles)} bundles from {path} into {out_dir}"


# --- Guangdong provincial export (gd-policy.jsonl) ---------------------------------------------------------

_LEVELS = {"省级": "省", "市级": "市", "县级": "县", "区级": "县", "镇级": "乡镇", "国家级": "国家"}
_ITEM_TYPES = set(Item.model_fields["item_type"].annotation.__args__)  # type: ignore[union-attr]
_TARGETS = set(Item.model_fields["target"].annotation.__args__[0].__args__)  # type: ignore[union-attr,index]
_TIME = re.compile(r"^\s*(\d+)\s*[（(]\s*(工作日|自然日)\s*[)）]\s*$")
# Elements the Guangdong export never carries: imported items mark them unknown instead of guessing.
_NEVER_IN_SOURCE = [
    "basis",
    "power_source",
    "department_nature",
    "entrusted_department",
    "overview",
    "process",
    "special_procedures",
    "intermediary_services",
    "fee",
    "office_hours",
    "traffic",
    "result",
    "delivery",
    "quantity_limit",
    "cross_region",
    "rights_remedies",
    "faq",
    "scenario",
]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in {"", "无"})


def _time_limit(raw: str) -> dict[str, Any] | None:
    match = _TIME.match(raw or "")
    if match is None:
        return None
    amount = int(match.group(1))
    return {"amount": amount, "unit": match.group(2), "explanation": "来源：广东省政务服务网"}


def _material_id(name: str) -> str:
    return "gd_" + hashlib.sha1(name.encode()).hexdigest()[:10]


def gd_item(record: dict[str, Any], name: str) -> Item:
    """Map one record of the Guangdong export to an item; what the source lacks is marked unknown."""
    unknown = list(_NEVER_IN_SOURCE)
    code = record["TASK_CODE"]
    legal = _time_limit(record.get("handle_time", ""))
    promised = _time_limit(record.get("handle_time_limit", ""))
    if legal is None:
        unknown.append("legal_time_limit")
        legal = {"unit": "工作日", "explanation": f"{UNKNOWN}（来源未提供法定时限）"}
    if promised is None:
        unknown.append("promised_time_limit")
        promised = {"unit": "工作日", "explanation": f"{UNKNOWN}（来源未提供承诺时限）"}
    elif legal.get("amount") is not None and promised["amount"] > legal["amount"]:
        # The source promises more than the law allows: keep the source's figure visible, flagged.
        promised = {
            "unit": promised["unit"],
            "explanation": f"来源承诺{promised['amount']}个{promised['unit']}，长于法定时限，待核实",
        }
        unknown.append("promised_time_limit")
    raw_materials = record.get("material_intro")
    names = [m.strip() for m in raw_materials if m and m.strip()] if isinstance(raw_materials, list) else []
    if not names:
        unknown.append("materials")
    materials = []
    seen: set[str] = set()
    for material_name in names:
        material_id = _material_id(material_name)
        if material_id in seen:
            continue
        seen.add(material_id)
        materials.append({"id": material_id, "name": material_name})
    conditions = [] if _blank(record.get("accept_standard")) else [record["accept_standard"].strip()]
    if not conditions:
        unknown.append("conditions")
    location = re.sub(r"^办理地点[:：]\s*", "", record.get("handle_location") or "").strip()
    if _blank(location):
        unknown.append("location")
    online = record.get("ONLINECHECK") == "1"
    courier = record.get("courier_service") == "是"
    visits = int(record.get("visit_number") or 0)
    item_type = record.get("TASK_TYPE_TEXT")
    targets = [t for t in record.get("service_object_name") or [] if t in _TARGETS]
    if item_type not in _ITEM_TYPES:
        unknown.append("item_type")
    if not targets:
        unknown.append("target")
    joint = [] if _blank(record.get("co_department")) else [record["co_department"].strip()]
    level = _LEVELS.get(record.get("matter_level", ""))
    if level is None:
        unknown.append("level")
    crawled = dt.datetime.fromtimestamp(int(record["_id"]["$oid"][:8], 16), tz=dt.UTC).date()
    unknown.append("effective_date")
    data = {
        "id": f"gd-{code.lower()}",
        "name": name,
        "aliases": [record["TASK_NAME"]] if name != record["TASK_NAME"] else [],
        "item_type": item_type if item_type in _ITEM_TYPES else "其他行政权力",
        "catalog_code": record.get("CATAID") or UNKNOWN,
        "implementation_code": code,
        "handling_item": record.get("subCatalogName") or record["TASK_NAME"],
        "version": f"gd-{crawled.isoformat()}",
        "effective_date": crawled,
        "basis": [],
        "power_source": UNKNOWN,
        "level": [level] if level else [],
        "department": record.get("DEPT_NAME") or UNKNOWN,
        "department_nature": UNKNOWN,
        "entrusted_department": UNKNOWN,
        "joint_departments": joint,
        "target": targets,
        "overview": f"{record['TASK_NAME']}（{record.get('DEPT_NAME', '')}，{record.get('TASK_TYPE_TEXT', '')}）。"
        "来源：广东省政务服务网导出数据，未含简介。",
        "conditions": conditions,
        "materials": materials,
        "legal_time_limit": legal,
        "promised_time_limit": promised,
        "case_type": "即办件" if promised.get("amount") in (0, 1) and promised["unit"] == "工作日" else "承诺件",
        "handling_form": ["窗口办理", *(["网上办理"] if online else []), *(["快递申请"] if courier else [])],
        "visits": {"count": visits, "reason": "来源未说明原因" if visits else ""},
        "process": {"steps": []},
        "location": [{"name": record.get("DEPT_NAME") or UNKNOWN, "address": location}] if not _blank(location) else [],
        "office_hours": UNKNOWN,
        "traffic": UNKNOWN,
        "consult": {"phone": record.get("consult_phone") or UNKNOWN, "website": record.get("URL") or ""},
        "complaint": {"phone": record.get("complain_phone") or UNKNOWN},
        "delivery": [],
        "quantity_limit": UNKNOWN,
        "online": {
            "available": online,
            "note": f"办理平台：{record['bear_paltform']}" if not _blank(record.get("bear_paltform")) else "",
        },
        "convenience": {
            "appointment": record.get("online_book") == "是",
            "express": courier if record.get("courier_service") in ("是", "否") else None,
        },
        "cross_region": UNKNOWN,
        "rights_remedies": [],
        "unknown": sorted(set(unknown)),
    }
    return Item.model_validate(data)


def import_gd_jsonl(path: Path, out_dir: Path) -> str:
    """Import the Guangdong provincial export into a catalogue directory.

    Duplicate names (the same item published by two departments or levels) get the department added, so
    names stay unique; the original name is kept as an alias.

    Returns:
        A one-line report.
    """
    try:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"{path}: {exc}") from exc
    if not records or "TASK_CODE" not in records[0]:
        raise ImportRefused(f"{path}: not a Guangdong export (no TASK_CODE field in the first record)")
    counts: dict[str, int] = {}
    for record in records:
        counts[record["TASK_NAME"]] = counts.get(record["TASK_NAME"], 0) + 1
    items: list[Item] = []
    used: set[str] = set()
    for record in records:
        name = record["TASK_NAME"].strip()
        if counts[record["TASK_NAME"]] > 1:
            name = f"{name}（{record.get('AREA_CODE_TEXT', '')}{record.get('DEPT_NAME', '')}）"
        if name in used:
            name = f"{name}（{record['TASK_CODE']}）"
        used.add(name)
        items.append(gd_item(record, name))
    info = CatalogueInfo(
        name="广东省政务服务事项（导入）",
        region="广东省",
        fictional=False,
        version=f"gd-import-{hashlib.sha256(path.read_bytes()).hexdigest()[:8]}",
        notice=f"由 {path.name} 导入（广东省政务服务网公开数据）；来源缺失的要素标记为未知，未作补充。",
    )
    write_catalogue(info, items, [], out_dir)
    with_materials = sum(1 for item in items if item.materials)
    return f"imported {len(items)} items ({with_materials} with materials) from {path} into {out_dir}"
