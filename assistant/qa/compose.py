"""Answer texts: a guide element quoted from the guide, readable in chat, never invented; the assistant's own
words (citation, version, button labels) come from the reply file.

Two forms of one answer: :func:`brief`, the first chat bubble (what was asked, in a sentence or a short list,
with its citation in one line, about 250 characters at most), with :func:`follow_ups` (buttons for the whole
element and the other elements a person usually needs next); and :func:`compose`, the whole element, which the
command line and the API give and a follow-up button asks for. The fictional-region marker of a demonstration
catalogue is said once per answer, not after every place and phone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel

from assistant.qa.passages import Passage
from assistant.replies import Replies
from knowledge.checklist import active_questions, personal_fee_and_time, personalise
from knowledge.glossary import ELEMENTS
from knowledge.render import contact_line, location_lines, material_line, without_markers
from knowledge.schema import Bundle, Fee, Item, TimeLimit
from knowledge.schema import Question as ScenarioQuestion
from nlu.options import Choice, Option, story_answers

Story = Mapping[str, str | list[str]]  # scenario question id -> option id (a list for a multiple choice)

# the elements a question can ask, by the names a person knows them by
ELEMENT_NAMES = {
    **{
        k: ELEMENTS[k]
        for k in (
            "materials",
            "conditions",
            "process",
            "fee",
            "location",
            "basis",
            "online",
            "result",
            "visits",
            "rights_remedies",
        )
    },
    "time_limit": "办理时限",
    "contact": "咨询电话",
}
BRIEF_CHARS = 150  # the first bubble's body at most (its head and one-line citation come on top)
BRIEF_LOCATIONS = 2  # places named in a first bubble; the rest behind the 办理地点 button
MORE = ("materials", "location", "time_limit", "fee", "basis")  # what a first bubble offers next, in this order
MORE_BUTTONS = 3
_SENTENCE_END = re.compile(r"[。；;！!？?]")


def source_name(element: str) -> str:
    """The name a citation gives the element a quoted passage stands in (办理时限, 常见问题, 设定依据 …)."""
    return ELEMENT_NAMES.get(element) or ELEMENTS.get(element, element)


class FollowUp(BaseModel):
    """A button after an answer: the whole of the element asked, or another element of the same entry."""

    element: str
    label: str


def read_story(item: Item, message: str, normalised: str = "") -> dict[str, str | list[str]]:
    """The scenario answers a message's story gives ("我已经退休了" -> the retirement option), as the checklist
    engine takes them; not to a question that what the story chose for another rules out ("外地户口孩子能在这上小学
    吗" chooses the first grade of primary school, and where the child finished primary school, asked only for the
    first grade of junior school, is not read from its 外地).

    ``normalised`` is the message as the reader normalised it: a question the words as written answer nothing to is
    read in it too, so a story in Traditional script (外地戶口) or in the hotline's words (非京籍: 外地户籍) is read.

    A follow-up the story answers chooses the option it is asked under where the story names that one and others of
    its question: "孩子在老家上的小学，上初一" (小学 and 初一 name both grades) is the first grade of junior school."""
    choices = [Choice.of(q) for q in item.scenario]
    found = story_answers(choices, message)
    if normalised and normalised != message:
        for question_id, chosen in story_answers(choices, normalised).items():
            found.setdefault(question_id, chosen)
    for question in reversed(item.scenario):  # a follow-up told chooses the option it hangs under, of those named
        when = question.when
        if question.id not in found or when is None or when.question in found or len(when.options) != 1:
            continue
        parent = item.question(when.question)
        option = next((o for o in parent.options if o.id == when.options[0]), None) if parent else None
        if parent is None or option is None:
            continue
        named = Choice(parent.id, [Option(option.id, option.label, option.synonyms)], parent.multiple)
        if story_answers([named], message) or (normalised and story_answers([named], normalised)):
            found[parent.id] = [option.id] if parent.multiple else option.id
    return {
        question.id: found[question.id]
        for question in item.scenario
        if question.id in found and not _ruled_out(question, found)
    }


def _ruled_out(question: ScenarioQuestion, found: Mapping[str, str | list[str]]) -> bool:
    """Whether the answers found choose, for the question ``question`` depends on, none of the options it is
    asked for."""
    if question.when is None or question.when.question not in found:
        return False
    parent = found[question.when.question]
    chosen = [parent] if isinstance(parent, str) else parent
    return not set(chosen) & set(question.when.options)


def story_facts(item: Item, story: Story) -> str:
    """What the story told, as the options' labels ("离休、退休")."""
    labels = []
    for question in item.scenario:
        chosen = story.get(question.id)
        if chosen is not None:
            ids = [chosen] if isinstance(chosen, str) else chosen
            labels += [o.label for o in question.options if o.id in ids]
    return "、".join(labels)


def _personal(item: Item, element: str, story: Story, replies: Replies, *, short: bool = False) -> str | None:
    """What the story told, and the materials or conditions for it as the checklist engine gives them; the fee or the
    time limit where an option told sets its own (门面房: a non-residential property's fee); None for another element.
    ``short``: for the first chat bubble (materials by name, time limits without their notes)."""
    said = replies("story_understood", facts=story_facts(item, story))
    if element in ("fee", "time_limit"):
        own = _own_terms(item, element, story, short=short)
        return said + "\n" + own if own else None
    if element not in ("materials", "conditions"):
        return None
    materials, conditions = personalise(item, story)
    if element == "conditions":
        return said + "\n" + _lines("受理条件：", conditions)
    text = said + "\n" + _lines("申请材料：", [m.name if short else material_line(m) for m in materials] or ["无"])
    if any(chosen is None for _, chosen in active_questions(item, story)):  # questions still open
        text += "\n" + replies("story_more_questions")
    return text


def _own_terms(item: Item, element: str, story: Story, *, short: bool = False) -> str | None:
    """The fee or the time limit (``element``) for what the story told, when an option told sets its own; else
    None (the item's own is shown as it stands)."""
    fee, promised = personal_fee_and_time(item, story)
    if element == "fee" and fee is not item.fee:
        return _fee_text(fee)
    if element == "time_limit" and promised is not item.promised_time_limit:
        return _time_text(item, promised, short=short)
    return None


def _not_overridden(item: Item, element: str | None, lead: Passage | None, story: Story | None) -> Passage | None:
    """The lead, unless it stands in the fee or time limit asked and an option the story told sets its own: the
    guide's "住宅类 80元" is no answer to a shop's owner, whose fee follows."""
    if lead is None or not story or element not in ("fee", "time_limit") or lead.element != element:
        return lead
    return None if _own_terms(item, element, story) else lead


def _fee_text(fee: Fee) -> str:
    lines = [fee.describe(), *(f"收费依据：{i.basis}" for i in fee.items), *fee.waivers]
    return "收费标准：" + "\n".join(lines)


def _time_text(item: Item, promised: TimeLimit, *, short: bool = False) -> str:
    if short:
        return f"法定办结时限：{item.legal_time_limit.headline()}\n承诺办结时限：{promised.headline()}"
    return f"法定办结时限：{item.legal_time_limit.describe()}\n承诺办结时限：{promised.describe()}\n办件类型：{item.case_type}"


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
            text += "\n" + _online_steps(item)
        return text
    if element == "time_limit":
        return _time_text(item, item.promised_time_limit)
    if element == "fee":
        return _fee_text(item.fee)
    if element == "location":
        return (
            _lines("办理地点：", location_lines(item.location) or ["未知（来源未说明）"])
            + f"\n办理时间：{item.office_hours}"
        )
    if element == "basis":
        return _lines("设定依据：", [f"{b.law}{b.article}：{b.text}" for b in item.basis] or ["未知（来源未说明）"])
    if element == "online":
        text = _online(item)
        if item.online.available and item.process.online_steps:
            text += "\n" + _online_steps(item)  # how it is done online, following one's application included
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
    if element == "rights_remedies":  # 不服怎么办: review, lawsuit, complaint
        return _lines("权利与救济：", item.rights_remedies or ["未知（来源未说明）"])
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


def cut(text: str, limit: int = BRIEF_CHARS) -> str:
    """``text`` if it fits, else its lines (or sentences) that fit and "……": never a word of the guide changed."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    if not kept:  # one long line: its sentences that fit
        ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
        return (text[: ends[-1]] if ends else text[:limit]) + "……"
    return "\n".join(kept) + "\n……"


def _online_steps(item: Item) -> str:
    """The steps of doing it online, in full (the process element's and the online element's)."""
    return _lines("网上办理：", [f"{s.name}：{s.description}" for s in item.process.online_steps])


def _online(item: Item) -> str:
    """Whether it may be done online, how far, and where: the online element without its steps."""
    text = (
        "可以网上办理" + (f"（网办深度{item.online.depth}级）" if item.online.depth else "")
        if item.online.available
        else "不能网上办理"
    )
    if item.online.note:
        text += f"。{item.online.note}"
    for url in (item.online.pc_url, item.online.mobile_url):
        if url:
            text += f"\n办理入口：{url}"
    return text


def _brief_element(item: Item, element: str) -> str:
    """The element asked, as short as still answers: names, headlines, the first lines."""
    if element == "materials":
        base = [m.name for m in item.materials if m.base]
        text = f"申请材料（共{len(base)}项）：\n" + "\n".join(f"{n}. {name}" for n, name in enumerate(base, 1))
        if any(not m.base for m in item.materials):
            text += "\n（部分材料视个人情形而定。）"
        return text
    if element == "process" and item.process.steps:
        return "办理流程：" + " → ".join(s.name for s in item.process.steps)
    if element == "time_limit":
        return _time_text(item, item.promised_time_limit, short=True)
    if element == "location" and item.location:
        lines = [f"{loc.name}：{loc.address}" for loc in item.location[:BRIEF_LOCATIONS]]
        text = _lines("办理地点：", lines)
        return text + (f"\n……（共{len(item.location)}处）" if len(item.location) > BRIEF_LOCATIONS else "")
    if element == "basis" and item.basis:
        return _lines("设定依据：", [f"{b.law}{b.article}" for b in item.basis])
    if element == "online" and item.online.available and item.process.online_steps:
        return _online(item) + "\n网上办理：" + " → ".join(s.name for s in item.process.online_steps)
    return _item_element(item, element)


def _citation(entry: Item | Bundle, replies: Replies, bases: int) -> str:
    basis = "；".join(f"{b.law}{b.article}" for b in entry.basis[:bases])
    if basis:
        return replies("citation", basis=basis, version=entry.version)
    return replies("version_only", version=entry.version)


def _said_once(text: str, replies: Replies) -> str:
    """The answer with the fictional-region marker said once, at its end."""
    text, marked = without_markers(text)
    return f"{text}\n{replies('fictional_once')}" if marked else text


def brief(
    entry: Item | Bundle,
    element: str | None,
    replies: Replies,
    lead: Passage | None = None,
    story: Story | None = None,
) -> str:
    """The first chat bubble: the guide's sentence that answers the ask (``lead``) or the element asked in short
    (materials by name, time limits without their notes, the first places), its citation in one line."""
    source = ""
    if isinstance(entry, Item):
        lead = _not_overridden(entry, element, lead, story)
    if isinstance(entry, Bundle):
        body = f"{entry.overview}\n包含事项（{len(entry.members)}项）：{'、'.join(entry.members)}"
    elif lead is not None:
        body = lead.text
        source = "\n" + replies("passage_source", element=source_name(lead.element))
    elif story and element and (personal := _personal(entry, element, story, replies, short=True)):
        body = personal
    elif element:
        body = _brief_element(entry, element)
    else:
        body = entry.overview
    body, marked = without_markers(body)
    text = f"【{entry.name}】\n{cut(body)}{source}\n{_citation(entry, replies, 1)}"
    return f"{text}\n{replies('fictional_once')}" if marked else text


def follow_ups(entry: Item | Bundle, element: str | None, replies: Replies, *, whole: bool = False) -> list[FollowUp]:
    """The buttons after an answer: the whole of the element asked (unless ``whole``: it was just shown), then
    the elements a person needs next (materials, place, time limit, fee, basis), three at most. A bundle has
    none: its checklist offer is what comes next."""
    if isinstance(entry, Bundle):
        return []
    out: list[FollowUp] = []
    if element in ELEMENT_NAMES and not whole:
        out.append(FollowUp(element=element, label=replies("more_whole", element=ELEMENT_NAMES[element])))
    for other in MORE:
        if other != element and len(out) < MORE_BUTTONS:
            out.append(FollowUp(element=other, label=ELEMENT_NAMES[other]))
    return out


def offers_checklist(entry: Item | Bundle) -> bool:
    """Whether a personalised 一次性告知单 is worth offering: a bundle, or an item with scenario questions."""
    return isinstance(entry, Bundle) or bool(entry.scenario)


def compose(
    entry: Item | Bundle,
    element: str | None,
    replies: Replies,
    lead: Passage | None = None,
    story: Story | None = None,
    *,
    lead_first: bool = False,
    law: Passage | None = None,
) -> str:
    """The whole answer for an entry and the element asked (None: the overview), with its citation (the command
    line and the API give it; the chat shows :func:`brief` first and this behind a follow-up button).

    ``lead``: the guide's passage that answers the ask itself (see :mod:`assistant.qa.passages`), quoted first
    with the element it stands in, unless the element asked, which follows, holds it (``lead_first``, for a fact
    asked: even then, unless the element begins with it). ``law``: the sentence of the law that states the fact the
    lead states in the guide's words (:func:`assistant.qa.passages.law_behind`), quoted after it when it is quoted
    (an element that begins with the lead is shown as it stands). ``story``: the scenario answers the message told
    (see :func:`read_story`): the materials and conditions are then the checklist engine's for them.
    """
    head = f"【{entry.name}】"
    if isinstance(entry, Bundle):
        return _said_once(f"{head}\n{overview(entry)}", replies)
    lead = _not_overridden(entry, element, lead, story)
    personal = _personal(entry, element, story, replies) if story and element else None
    body = personal or (_item_element(entry, element) if element else overview(entry))
    quoted = []
    if lead is not None and not body.startswith(lead.text) and (lead_first or lead.text not in body):
        quoted.append(lead)
        if law is not None and law.text not in body:
            quoted.append(law)
    if quoted:
        said = "\n".join(f"{p.text}\n{replies('passage_source', element=source_name(p.element))}" for p in quoted)
        body = f"{said}\n\n{body}"
    return _said_once(f"{head}\n{body}\n{_citation(entry, replies, 2)}", replies)
