"""Answer texts: a guide element quoted from the guide, readable in chat, never invented; the assistant's own
words (citation, version) come from the reply file."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.qa.passages import Passage
from assistant.replies import Replies
from knowledge.checklist import active_questions, personalise
from knowledge.glossary import ELEMENTS
from knowledge.render import contact_line, location_lines, material_line
from knowledge.schema import Bundle, Item
from nlu.options import Choice, story_answers

Story = Mapping[str, str | list[str]]  # scenario question id -> option id (a list for a multiple choice)


def read_story(item: Item, message: str) -> dict[str, str | list[str]]:
    """The scenario answers a message's story gives ("我已经退休了" -> the retirement option), as the checklist
    engine takes them."""
    return story_answers([Choice.of(q) for q in item.scenario], message)


def story_facts(item: Item, story: Story) -> str:
    """What the story told, as the options' labels ("离休、退休")."""
    labels = []
    for question in item.scenario:
        chosen = story.get(question.id)
        if chosen is not None:
            ids = [chosen] if isinstance(chosen, str) else chosen
            labels += [o.label for o in question.options if o.id in ids]
    return "、".join(labels)


def _personal(item: Item, element: str, story: Story, replies: Replies) -> str | None:
    """The materials or conditions for what the story told, as the checklist engine gives them."""
    materials, conditions = personalise(item, story)
    said = replies("story_understood", facts=story_facts(item, story))
    if element == "materials":
        text = said + "\n" + _lines("申请材料：", [material_line(m) for m in materials] or ["无"])
        if any(chosen is None for _, chosen in active_questions(item, story)):  # questions still open
            text += "\n" + replies("story_more_questions")
        return text
    if element == "conditions":
        return said + "\n" + _lines("受理条件：", conditions)
    return None


def _lines(title: str, lines: list[str]) -> str:
    return title + "\n" + "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def _item_element(item: Item, element: str) -> str:
    if element == "materials":
        base = [material_line(m) for m in item.materials if m.base]
        text = _lines("申请材料：", base or ["无"])
        if any(not m.base for m in item.materials):
            text += "\n（部分材料视个人情形而定。）"
        return text
    if element == "conditions":
        return _lines("受理条件：", item.conditions)
    if element == "process":
        text = _lines(
            "办理流程：", [f"{s.name}：{s.description}" for s in item.process.steps] or ["未知（来源未说明）"]
        )
        if item.process.online_steps:
            text += "\n" + _lines("网上办理：", [f"{s.name}：{s.description}" for s in item.process.online_steps])
        return text
    if element == "time_limit":
        return (
            f"法定办结时限：{item.legal_time_limit.describe()}\n承诺办结时限：{item.promised_time_limit.describe()}"
            f"\n办件类型：{item.case_type}"
        )
    if element == "fee":
        lines = [item.fee.describe(), *(f"收费依据：{i.basis}" for i in item.fee.items), *item.fee.waivers]
        return "收费标准：" + "\n".join(lines)
    if element == "location":
        return (
            _lines("办理地点：", location_lines(item.location) or ["未知（来源未说明）"])
            + f"\n办理时间：{item.office_hours}"
        )
    if element == "basis":
        return _lines("设定依据：", [f"{b.law}{b.article}：{b.text}" for b in item.basis] or ["未知（来源未说明）"])
    if element == "online":
        if item.online.available:
            text = "可以网上办理" + (f"（网办深度{item.online.depth}级）" if item.online.depth else "")
        else:
            text = "不能网上办理"
        if item.online.note:
            text += f"。{item.online.note}"
        for url in (item.online.pc_url, item.online.mobile_url):
            if url:
                text += f"\n办理入口：{url}"
        return text
    if element == "contact":
        return f"咨询电话：{contact_line(item.consult)}\n投诉电话：{contact_line(item.complaint)}"
    if element == "result":
        if item.result is None:
            return "审批结果：未知（来源未说明）"
        text = f"办理结果：{item.result.type}，{item.result.name}"
        if item.result.validity:
            text += f"（有效期：{item.result.validity}）"
        return text + (f"\n送达方式：{'、'.join(item.delivery)}" if item.delivery else "")
    if element == "visits":
        text = f"到办事现场次数：{item.visits.count}次"
        return text + (f"（{item.visits.reason}）" if item.visits.reason else "")
    return overview(item)


def overview(entry: Item | Bundle) -> str:
    """What it is, main materials, time, fee, where, online."""
    if isinstance(entry, Bundle):
        return "\n".join(
            [
                entry.overview,
                f"包含事项：{'、'.join(entry.members)}",
                f"承诺时限：{entry.promised_time_limit.describe()}",
                f"收费：{entry.fee.describe()}",
                f"办理地点：{'；'.join(location_lines(entry.location))}",
            ]
        )
    materials = "、".join(m.name for m in entry.materials if m.base) or "未知（来源未说明）"
    lines = [
        entry.overview,
        f"主要材料：{materials}",
        f"办理时限：法定{entry.legal_time_limit.describe()}，承诺{entry.promised_time_limit.describe()}",
        f"收费：{entry.fee.describe()}",
        f"办理地点：{'；'.join(location_lines(entry.location)) or '未知（来源未说明）'}",
        "网上办理：" + ("可以" if entry.online.available else "不可以"),
    ]
    return "\n".join(lines)


def offers_checklist(entry: Item | Bundle) -> bool:
    """Whether a personalised 一次性告知单 is worth offering: a bundle, or an item with scenario questions."""
    return isinstance(entry, Bundle) or bool(entry.scenario)


def compose(
    entry: Item | Bundle,
    element: str | None,
    replies: Replies,
    lead: Passage | None = None,
    story: Story | None = None,
) -> str:
    """The chat answer for an entry and the element asked (None: the overview), with its citation.

    ``lead``: the guide's passage that answers the ask itself (see :mod:`assistant.qa.passages`), quoted first
    with the element it stands in; the element asked follows. ``story``: the scenario answers the message told
    (see :func:`read_story`): the materials and conditions are then the checklist engine's for them.
    """
    head = f"【{entry.name}】"
    if isinstance(entry, Bundle):
        return f"{head}\n{overview(entry)}"
    personal = _personal(entry, element, story, replies) if story and element else None
    body = personal or (_item_element(entry, element) if element else overview(entry))
    if lead is not None and lead.text not in body:
        where = replies("passage_source", element=ELEMENTS.get(lead.element, lead.element))
        body = f"{lead.text}\n{where}\n\n{body}"
    basis = "；".join(f"{b.law}{b.article}" for b in entry.basis[:2])
    tail = (
        replies("citation", basis=basis, version=entry.version)
        if basis
        else replies("version_only", version=entry.version)
    )
    return f"{head}\n{body}\n{tail}"
