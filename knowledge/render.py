"""Plain-text rendering of a whole service guide, grouped as on a government portal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from knowledge.catalogue import Catalogue
from knowledge.schema import Bundle, Contact, Item, Location, Material

if TYPE_CHECKING:
    from knowledge.checklist import NoticeMaterial


# a guide's fictional-region marker, as the bundled catalogue writes it after a place, a phone or a time
_MARKERS = (
    (re.compile(r"（虚构示例(?:地址)?）"), ""),  # 示例市公安局（虚构示例）
    (re.compile(r"[，,]虚构示例(?=）)"), ""),  # （示例市政务服务便民热线，虚构示例）
    (re.compile(r"（虚构示例[，,]"), "（"),  # （虚构示例，检查方式）
)


def without_markers(text: str) -> tuple[str, bool]:
    """``text`` without its per-line fictional-region markers, and whether it had any: a reply says it once."""
    found = False
    for pattern, replacement in _MARKERS:
        text, count = pattern.subn(replacement, text)
        found = found or count > 0
    return text, found


def material_line(material: Material | NoticeMaterial, purposes: list[str] | None = None) -> str:
    """One material as shown in guides and checklists (also takes a checklist's NoticeMaterial)."""
    parts = [material.form or "原件/复印件未说明", material.medium, f"{material.copies}份"]
    if not material.required:
        parts.append("非必需")
    text = f"{material.name}（{'，'.join(parts)}）"
    if material.source or material.issuer:
        text += f"；来源：{'，'.join(x for x in (material.source, material.issuer) if x)}"
    if material.shared:
        text += "；可通过数据共享免提交"
    if material.notes:
        text += f"；{material.notes}"
    if purposes:
        text += f"；用于：{'、'.join(purposes)}"
    return text


def location_lines(locations: list[Location]) -> list[str]:
    """Places of handling, one line each."""
    lines = []
    for loc in locations:
        text = f"{loc.name}：{loc.address}"
        if loc.window:
            text += f"，{loc.window}"
        if loc.note:
            text += f"（{loc.note}）"
        lines.append(text)
    return lines


def contact_line(contact: Contact) -> str:
    """A phone with website and address where given."""
    return "，".join(x for x in (contact.phone, contact.website, contact.address) if x)


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"【{title}】", *(f"  {line}" for line in lines or ["无"])]


def render_guide(entry: Item | Bundle, catalogue: Catalogue) -> str:
    """The whole guide of an item or bundle as readable text."""
    if isinstance(entry, Bundle):
        return _render_bundle(entry, catalogue)
    item = entry
    out = [f"{item.name}（{item.item_type}，版本 {item.version}，{item.effective_date} 起施行）"]
    if item.aliases:
        out.append(f"别名：{'、'.join(item.aliases)}")
    out += _section("事项简介", [item.overview])
    out += _section(
        "基本信息",
        [
            f"实施主体：{item.department}（{item.department_nature}）",
            f"权力来源：{item.power_source}；行使层级：{'、'.join(item.level)}",
            f"委托部门：{item.entrusted_department}；联办机构：{'、'.join(item.joint_departments) or '无'}",
            f"服务对象：{'、'.join(item.target)}",
            f"基本编码：{item.catalog_code}；实施编码：{item.implementation_code}；业务办理项：{item.handling_item}",
        ],
    )
    out += _section("设定依据", [f"{b.law}{b.article}：{b.text}" for b in item.basis])
    if item.legal_review is not None:
        review = item.legal_review
        out.append(f"  （法律依据审核：{review.date.isoformat()}，依据：{'；'.join(review.sources)}）")
    out += _section("受理条件", item.conditions)
    out += _section(
        "申请材料",
        [material_line(m) + ("" if m.base else "（视情形）") for m in item.materials],
    )
    out += _section(
        "办理时限",
        [
            f"法定办结时限：{item.legal_time_limit.describe()}",
            f"承诺办结时限：{item.promised_time_limit.describe()}",
            f"办件类型：{item.case_type}",
        ],
    )
    out += _section(
        "收费标准", [item.fee.describe(), *(f"{i.name}：{i.basis}" for i in item.fee.items), *item.fee.waivers]
    )
    out += _section(
        "办理流程",
        [f"{n}. {s.name}：{s.description}" for n, s in enumerate(item.process.steps, 1)]
        + [f"网上办理 {n}. {s.name}：{s.description}" for n, s in enumerate(item.process.online_steps, 1)],
    )
    out += _section("特别程序", [f"{p.name}：{p.description}（{p.time}）" for p in item.special_procedures])
    out += _section("中介服务", item.intermediary_services)
    out += _section(
        "办理地点和时间",
        [*location_lines(item.location), f"办理时间：{item.office_hours}", f"交通指引：{item.traffic}"],
    )
    visits = f"{item.visits.count}次" + (f"（{item.visits.reason}）" if item.visits.reason else "")
    online = "可网上办理" if item.online.available else "不能网上办理"
    if item.online.available and item.online.depth:
        online += f"（网办深度{item.online.depth}级）"
    if item.online.note:
        online += f"；{item.online.note}"
    out += _section(
        "办理方式",
        [
            f"办理形式：{'、'.join(item.handling_form)}",
            f"到现场次数：{visits}",
            online,
            f"通办范围：{item.cross_region}",
        ],
    )
    result = item.result
    out += _section(
        "审批结果",
        [
            (f"{result.type}：{result.name}" + (f"（有效期：{result.validity}）" if result.validity else ""))
            if result
            else "未知（来源未说明）",
            f"送达方式：{'、'.join(item.delivery)}",
            f"数量限制：{item.quantity_limit}",
        ],
    )
    out += _section("咨询和投诉", [f"咨询：{contact_line(item.consult)}", f"投诉：{contact_line(item.complaint)}"])
    out += _section("权利与救济", item.rights_remedies)
    out += _section("常见问题", [f"问：{f.question} 答：{f.answer}" for f in item.faq])
    if item.scenario:
        lines = []
        for q in item.scenario:
            when = f"（当“{q.when.question}”选 {'/'.join(q.when.options)} 时）" if q.when else ""
            lines.append(f"{q.id}：{q.text}{when} 选项：{'；'.join(f'{o.id}={o.label}' for o in q.options)}")
        out += _section("办理情形", lines)
    if item.unknown:
        out.append(f"（来源缺失的要素：{'、'.join(item.unknown)}）")
    return "\n".join(out)


def _render_bundle(bundle: Bundle, catalogue: Catalogue) -> str:
    out = [f"{bundle.name}（一件事，版本 {bundle.version}）"]
    out += _section("简介", [bundle.overview])
    out += _section("包含事项", bundle.members)
    out += _section("政策依据", [f"{b.law}{b.article}：{b.text}" for b in bundle.basis])
    out += _section("承诺办结时限", [bundle.promised_time_limit.describe()])
    out += _section("收费标准", [bundle.fee.describe()])
    out += _section("办理流程", [f"{n}. {s.name}：{s.description}" for n, s in enumerate(bundle.process.steps, 1)])
    out += _section("办理地点和时间", [*location_lines(bundle.location), f"办理时间：{bundle.office_hours}"])
    out += _section("咨询和投诉", [f"咨询：{contact_line(bundle.consult)}", f"投诉：{contact_line(bundle.complaint)}"])
    out += _section("常见问题", [f"问：{f.question} 答：{f.answer}" for f in bundle.faq])
    return "\n".join(out)
