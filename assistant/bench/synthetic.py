"""A synthetic city catalogue for scale benchmarks, varied from the real Guangdong export.

A city's full catalogue holds tens of thousands of items: the same services offered by city departments,
by every district and by street offices, in several variants (首次 / 变更 / 注销 …). This module turns the
2,262 real records of ``gd-policy.jsonl`` into such a catalogue for the fictional 示例市: names, departments,
regions, addresses, phones, time limits, conditions and materials are varied, and every item goes through the
Guangdong importer's mapping (:func:`knowledge.importers.gd_item`) and the normal catalogue writer, so the
result validates like any imported catalogue. The same records, size and seed give byte-identical files.

It is benchmark data, never shipped: generate it under ``var/`` and do not commit it.

Example:
    >>> generate(Path("../shared/data/gd-policy.jsonl"), Path("var/synthetic-30k"), size=30_000)  # doctest: +SKIP
    'generated 30000 items from 2262 records into var/synthetic-30k'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CITY = "示例市"
DISTRICTS = (
    "东湖区",
    "西山区",
    "南城区",
    "北江区",
    "中山区",
    "新港区",
    "高新区",
    "临江区",
    "青云区",
    "白沙区",
    "长乐区",
    "和平区",
)
STREETS = (
    "东风",
    "人民",
    "解放",
    "建设",
    "新华",
    "朝阳",
    "光明",
    "龙山",
    "金沙",
    "清河",
    "永安",
    "文昌",
    "桃源",
    "海晏",
    "石门",
    "凤凰",
)
# the variants real catalogues split one service into; "" keeps the service's own name
VARIANTS = ("", "", "", "（首次申请）", "（变更）", "（延续）", "（注销）", "（补办）", "（个人）", "（单位）")
# share of city-level, district-level and street-level items in a city catalogue
LEVELS = (("市级", 0.3), ("区级", 0.5), ("镇级", 0.2))
_REGION = re.compile(r"广东省|广州市|广东|广州")


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a Guangdong export (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _department(name: str, level: str, district: str, street: str) -> str:
    """A city, district or street department for a provincial or Guangzhou one."""
    base = _REGION.sub("", name or "").strip() or "政务服务管理局"
    base = re.sub(r"厅$", "局", base.split("（")[0]) or "政务服务管理局"
    if level == "镇级":
        return f"{CITY}{district}{street}街道办事处"
    if level == "区级":
        return f"{CITY}{district}{base}"
    return f"{CITY}{base}"


def _shuffle_sentences(text: str, rng: random.Random) -> str:
    """The same conditions in another order, with the city's name: texts vary, their words stay real."""
    text = _REGION.sub(CITY, text)
    sentences = [s for s in re.split(r"(?<=[。；;])", text) if s.strip()]
    if len(sentences) > 2:
        head, rest = sentences[0], sentences[1:]
        rng.shuffle(rest)
        sentences = [head, *rest]
    return "".join(sentences)


def synthetic_record(
    base: dict[str, Any], number: int, rng: random.Random, materials: Sequence[str]
) -> tuple[dict[str, Any], str]:
    """A varied copy of one real record, and the item's name (before the name is made unique).

    Args:
        base: a record of the Guangdong export.
        number: the item's number in the synthetic catalogue (used in codes and addresses).
        rng: the generator's random source.
        materials: material names of the whole export, some of which an item may add.
    """
    level = rng.choices([lv for lv, _ in LEVELS], weights=[w for _, w in LEVELS])[0]
    district = rng.choice(DISTRICTS)
    street = rng.choice(STREETS)
    department = _department(base.get("DEPT_NAME", ""), level, district, street)
    variant = rng.choice(VARIANTS)
    name = _REGION.sub(CITY, base["TASK_NAME"].strip()) + variant
    if level != "市级":
        name += f"（{district}{street + '街道' if level == '镇级' else ''}）"
    own = [m for m in base.get("material_intro") or [] if m and m.strip()]
    kept = [m for m in own if rng.random() < 0.85] or own[:1]
    if rng.random() < 0.3:
        kept.append(rng.choice(materials))
    legal = rng.choice((5, 10, 15, 20, 30, 60))
    promised = max(1, legal - rng.choice((0, 2, 5, legal // 2)))
    record = {
        **base,
        "TASK_CODE": f"SYN{number:06d}",
        "TASK_NAME": name,
        "DEPT_NAME": department,
        "AREA_CODE_TEXT": CITY if level == "市级" else f"{CITY}{district}",
        "matter_level": level,
        "URL": f"https://zwfw.example.gov.cn/item/{number:06d}",
        "subCatalogName": name,
        "handle_location": f"办理地点：{CITY}{district}{street}路{rng.randint(1, 300)}号"
        f"{department}政务服务窗口（虚构示例）",
        "handle_time": f"{legal}(工作日)",
        "handle_time_limit": f"{promised}(工作日)",
        "accept_standard": _shuffle_sentences(base.get("accept_standard") or "无", rng),
        "consult_phone": f"0755-{rng.randint(80000000, 89999999)}（虚构示例）",
        "complain_phone": "12345",
        "co_department": "无",
        "visit_number": str(rng.choice((0, 0, 0, 1, 1, 2))),
        "material_intro": list(dict.fromkeys(kept)),
    }
    return record, name


def generate(source: Path, out_dir: Path, *, size: int = 30_000, seed: int = 7) -> str:
    """Write a synthetic catalogue of ``size`` items into ``out_dir`` (replaced whole, validated first).

    Args:
        source: the Guangdong export (``gd-policy.jsonl``).
        out_dir: the catalogue directory to write.
        size: number of items.
        seed: fixes every choice, so the same arguments give the same files.

    Returns:
        A one-line report.

    Raises:
        knowledge.errors.CatalogueError: the result does not validate (nothing is written).
    """
    from knowledge.importers import gd_item, write_catalogue
    from knowledge.schema import CatalogueInfo

    records = read_records(source)
    rng = random.Random(seed)
    materials = sorted({m.strip() for r in records for m in r.get("material_intro") or [] if m and m.strip()})
    items = []
    files: dict[str, str] = {}
    used: set[str] = set()
    order: list[dict[str, Any]] = []
    for number in range(size):
        if not order:
            # every real record is used once per round, so the catalogue keeps the export's mix of services
            order = list(records)
            rng.shuffle(order)
        record, name = synthetic_record(order.pop(), number, rng, materials)
        if name in used:
            # a city names two offices' versions of one service by the office; the number only as a last resort
            name = f"{name}（{record['DEPT_NAME']}）"
            if name in used:
                name = f"{name}（{number:06d}）"
            # the importer keeps TASK_NAME as an alias when it differs, which would repeat another item's name
            record = {**record, "TASK_NAME": name, "subCatalogName": name}
        used.add(name)
        item = gd_item(record, name)
        item_id = f"syn-{number:06d}"
        items.append(
            item.model_copy(
                update={
                    "id": item_id,
                    "overview": f"{name}（{record['DEPT_NAME']}，{record.get('TASK_TYPE_TEXT', '')}）。"
                    "合成示例：由广东省政务服务网公开数据变换生成，用于规模测试。",
                }
            )
        )
        files[item_id] = f"items/{number // 1000:02d}/{item_id}.yaml"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:8]
    info = CatalogueInfo(
        name=f"{CITY}政务服务事项（合成，{size}项）",
        region=CITY,
        fictional=True,
        version=f"synthetic-{size}-{seed}-{digest}",
        notice="规模测试用合成目录：由广东省政务服务网公开数据变换生成，地方信息为虚构示例，不得用于答复群众。",
    )
    write_catalogue(info, items, [], out_dir, files)
    return f"generated {size} items from {len(records)} records into {out_dir}"


def main(argv: list[str] | None = None) -> None:
    """``python -m assistant.bench.synthetic SOURCE OUT [--size N] [--seed S]``."""
    parser = argparse.ArgumentParser(description="Generate a synthetic city catalogue for scale benchmarks.")
    parser.add_argument("source", type=Path, help="the Guangdong export, e.g. ../shared/data/gd-policy.jsonl")
    parser.add_argument("out", type=Path, help="catalogue directory to write (under var/)")
    parser.add_argument("--size", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(generate(args.source, args.out, size=args.size, seed=args.seed))


if __name__ == "__main__":
    main()
