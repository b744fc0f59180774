"""The checklist engine: from an item or bundle and a person's answers to their 一次性告知单 (notice).

Pure Python over the catalogue models. The dialogue, the staff tool and the command line all call
:func:`build_notice`.

Example:
    >>> from knowledge.loader import load_catalogues
    >>> cat = load_catalogues()
    >>> notice = build_notice(cat, "居民身份证首次申领", {"under_16": "yes"})
    >>> [m.name for m in notice.materials][:3]
    ['居民户口簿', '《居民身份证申领登记表》', '监护人居民身份证']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from knowledge.catalogue import Catalogue
from knowledge.glossary import NOTICE
from knowledge.render import contact_line, location_lines, material_line
from knowledge.schema import Bundle, Fee, Item, Material, Question, TimeLimit

Answers = Mapping[str, str | Sequence[str]]


class AnswerError(ValueError):
    """An answer names a question or option the item does not have."""


class NoticeMaterial(BaseModel):
    """A material on the notice, with the items (purposes) that need it."""

    id: str
    name: str
    form: str | None
    medium: str
    copies: int
    required: bool
    source: str | None
    issuer: str
    blank_form: str = ""
    notes: str = ""
    shared: bool = False
    purposes: list[str] = Field(default_factory=list)


class ItemTerms(BaseModel):
    """What one item of the notice sets: conditions, time limits, fee, process, basis, remedies."""

    item: str
    conditions: list[str]
    legal_time_limit: str
    promised_time_limit: str
    fee: str
    fee_waivers: list[str]
    process: list[str]
    basis: list[str]
    remedies: list[str]


class PendingOption(BaseModel):
    """An option of a question still to answer."""

    id: str
    label: str
    synonyms: list[str] = Field(default_factory=list)


class PendingQuestion(BaseModel):
    """A scenario question that applies but has no answer yet."""

    id: str
    text: str
    multiple: bool
    options: list[PendingOption]


class AnswerShown(BaseModel):
    """An answer as the person gave it, in words."""

    question_id: str
    question: str
    options: list[str]
    answer: str


class Notice(BaseModel):
    """The personalised 一次性告知单 for one item or bundle and a set of answers."""

    id: str
    name: str
    kind: str
    version: str
    answers: list[AnswerShown]
    materials: list[NoticeMaterial]
    terms: list[ItemTerms]
    time_limit: str
    fee: str
    locations: list[str]
    office_hours: str
    consult: str
    complaint: str
    notes: list[str]
    pending: list[PendingQuestion]
    ignored: list[str] = Field(default_factory=list, description="answers to questions that do not apply")

    @property
    def complete(self) -> bool:
        """True when every question that applies has an answer."""
        return not self.pending

    def summary(self, places: int = 2) -> str:
        """The notice in short, for a chat: every material by name and how many, where to go and when (the whole
        notice is its page)."""
        out = [f"{NOTICE}：{self.name}", f"申请材料（共{len(self.materials)}项）："]
        out += [f"{n}. {m.name}" for n, m in enumerate(self.materials, 1)]
        more = f"（等{len(self.locations)}处）" if len(self.locations) > places else ""
        out.append("办理地点：" + "；".join(self.locations[:places]) + more)
        out.append(f"办理时间：{self.office_hours}")
        if self.pending:
            out.append(f"尚有{len(self.pending)}个问题未回答，材料可能不全。")
        return "\n".join(out)

    def to_text(self) -> str:
        """The notice as chat or print text, in the order materials, conditions, time limit, fee, process,
        place and hours, contacts, remedies."""
        bundle = self.kind == "bundle"
        out = [f"{NOTICE}：{self.name}（版本 {self.version}）"]
        if self.answers:
            out.append("您的情形：" + "；".join(f"{a.question}{a.answer}" for a in self.answers))
        out.append(f"一、申请材料（共{len(self.materials)}项）")
        for n, m in enumerate(self.materials, 1):
            out.append(f"  {n}. {material_line(m, m.purposes if bundle else None)}")
        out.append("二、受理条件")
        for t in self.terms:
            prefix = f"{t.item}：" if bundle else ""
            out += [f"  {prefix}{c}" for c in t.conditions]
        out.append("三、办理时限")
        if bundle:
            out.append(f"  一件事承诺时限：{self.time_limit}")
        for t in self.terms:
            prefix = f"{t.item}：" if bundle else ""
            out.append(f"  {prefix}法定{t.legal_time_limit}；承诺{t.promised_time_limit}")
        out.append("四、收费标准")
        for t in self.terms:
            prefix = f"{t.item}：" if bundle else ""
            out.append(f"  {prefix}{t.fee}")
            out += [f"  {w}" for w in t.fee_waivers]
        out.append("五、办理流程")
        for t in self.terms:
            if bundle:
                out.append(f"  {t.item}：")
            out += [f"  {n}. {step}" for n, step in enumerate(t.process, 1)]
        out.append("六、办理地点和时间")
        out += [f"  {loc}" for loc in self.locations]
        out.append(f"  办理时间：{self.office_hours}")
        out.append("七、咨询和投诉")
        out += [f"  咨询：{self.consult}", f"  投诉：{self.complaint}"]
        out.append("八、权利与救济")
        for t in self.terms:
            prefix = f"{t.item}：" if bundle else ""
            out += [f"  {prefix}{r}" for r in t.remedies]
        out.append("设定依据：" + "；".join(dict.fromkeys(b for t in self.terms for b in t.basis)))
        if self.notes:
            out.append("提示：" + "；".join(self.notes))
        if self.pending:
            out.append("尚未回答的问题（回答后清单会更准确）：")
            for q in self.pending:
                out.append(f"  {q.text} " + " / ".join(f"{o.id}={o.label}" for o in q.options))
        return "\n".join(out)


def _chosen(answers: Answers, question: Question) -> list[str] | None:
    raw = answers.get(question.id)
    if raw is None:
        return None
    chosen = [raw] if isinstance(raw, str) else list(raw)
    option_ids = [o.id for o in question.options]
    for option_id in chosen:
        if option_id not in option_ids:
            raise AnswerError(
                f"question '{question.id}' ({question.text}) has no option '{option_id}'; "
                f"choose one of: {', '.join(option_ids)}"
            )
    if not question.multiple and len(chosen) != 1:
        raise AnswerError(f"question '{question.id}' ({question.text}) takes exactly one option")
    return chosen


def active_questions(item: Item, answers: Answers) -> list[tuple[Question, list[str] | None]]:
    """The questions that apply given the answers so far, each with its chosen option ids (or None)."""
    out: list[tuple[Question, list[str] | None]] = []
    chosen_by_id: dict[str, list[str]] = {}
    for question in item.scenario:
        if question.when is not None:
            parent = chosen_by_id.get(question.when.question)
            if not parent or not set(parent) & set(question.when.options):
                continue
        chosen = _chosen(answers, question)
        if chosen is not None:
            chosen_by_id[question.id] = chosen
        out.append((question, chosen))
    return out


def _merge(existing: NoticeMaterial, material: Material, purpose: str) -> None:
    if existing.form != material.form:
        existing.form = "原件和复印件"
    existing.copies = max(existing.copies, material.copies)
    existing.required = existing.required or material.required
    if material.notes and material.notes not in existing.notes:
        existing.notes = f"{existing.notes}；{material.notes}" if existing.notes else material.notes
    if purpose not in existing.purposes:
        existing.purposes.append(purpose)


def _item_part(
    item: Item, answers: Answers, materials: dict[str, NoticeMaterial], notes: list[str]
) -> tuple[ItemTerms, list[tuple[Question, list[str] | None]]]:
    active = active_questions(item, answers)
    wanted = [m.id for m in item.materials if m.base]
    conditions = list(item.conditions)
    fee, promised = _fee_and_time(item, active)
    for question, chosen in active:
        for option in question.options:
            if chosen is None or option.id not in chosen:
                continue
            wanted += [m for m in option.add_materials if m not in wanted]
            wanted = [m for m in wanted if m not in option.remove_materials]
            if option.override_conditions is not None:
                conditions = list(option.override_conditions)
            if option.note:
                notes.append(f"{item.name}：{option.note}")
    for material_id in wanted:
        material = item.material(material_id)
        assert material is not None  # guaranteed by validation (E111)
        if material_id in materials:
            _merge(materials[material_id], material, item.name)
        else:
            materials[material_id] = NoticeMaterial(
                **material.model_dump(include=set(NoticeMaterial.model_fields) - {"purposes"}),
                purposes=[item.name],
            )
    terms = ItemTerms(
        item=item.name,
        conditions=conditions,
        legal_time_limit=item.legal_time_limit.describe(),
        promised_time_limit=promised.describe(),
        fee=fee.describe(),
        fee_waivers=list(fee.waivers),
        process=[f"{s.name}：{s.description}" for s in item.process.steps],
        basis=[f"{b.law}{b.article}" for b in item.basis],
        remedies=list(item.rights_remedies),
    )
    return terms, active


def personal_fee_and_time(item: Item, answers: Answers) -> tuple[Fee, TimeLimit]:
    """An item's fee and promised time limit for the answers given: an option chosen may set its own (a
    non-residential property's mortgage registration costs 550元, not a home's 80元); the item's own otherwise, the
    very objects, so a caller can tell whether the answers changed them."""
    return _fee_and_time(item, active_questions(item, answers))


def _fee_and_time(item: Item, active: list[tuple[Question, list[str] | None]]) -> tuple[Fee, TimeLimit]:
    fee, promised = item.fee, item.promised_time_limit
    for question, chosen in active:
        for option in question.options:
            if chosen is not None and option.id in chosen:
                if option.override_fee is not None:
                    fee = option.override_fee
                if option.override_time_limit is not None:
                    promised = option.override_time_limit
    return fee, promised


def personalise(item: Item, answers: Answers) -> tuple[list[NoticeMaterial], list[str]]:
    """An item's materials and conditions for the answers given so far, as its notice lists them.

    Raises:
        AnswerError: an answer names an unknown option, or several options for a single choice.
    """
    materials: dict[str, NoticeMaterial] = {}
    terms, _ = _item_part(item, answers, materials, [])
    return list(materials.values()), terms.conditions


def questions_of(catalogue: Catalogue, entry: Item | Bundle) -> list[Question]:
    """Every scenario question of an item, or the union (by id, asked once) of a bundle's members."""
    items = catalogue.members(entry) if isinstance(entry, Bundle) else [entry]
    seen: dict[str, Question] = {}
    for item in items:
        for question in item.scenario:
            seen.setdefault(question.id, question)
    return list(seen.values())


def build_notice(catalogue: Catalogue, key: str, answers: Answers | None = None) -> Notice:
    """The 一次性告知单 for an item or bundle (by id, name or alias) and the answers given.

    Args:
        catalogue: the loaded catalogue.
        key: item or bundle id, exact name or unambiguous alias.
        answers: question id -> option id (or a list of option ids for a multiple-choice question).

    Returns:
        The notice; ``notice.pending`` lists the questions that apply and are still unanswered.

    Raises:
        KeyError: no item or bundle matches ``key``.
        AnswerError: an answer names an unknown question or option, or several options for a single choice.
    """
    answers = dict(answers or {})
    entry = catalogue.get(key)
    if entry is None:
        raise KeyError(key)
    known = {q.id: q for q in questions_of(catalogue, entry)}
    for question_id in answers:
        if question_id not in known:
            raise AnswerError(
                f"'{entry.name}' has no question '{question_id}'"
                + (f"; its questions are: {', '.join(known)}" if known else "; it has no scenario questions")
            )
    items = catalogue.members(entry) if isinstance(entry, Bundle) else [entry]
    materials: dict[str, NoticeMaterial] = {}
    notes: list[str] = []
    terms: list[ItemTerms] = []
    pending: dict[str, PendingQuestion] = {}
    applied: dict[str, tuple[Question, list[str]]] = {}
    for item in items:
        item_terms, active = _item_part(item, answers, materials, notes)
        terms.append(item_terms)
        for question, chosen in active:
            if chosen is None:
                pending.setdefault(
                    question.id,
                    PendingQuestion(
                        id=question.id,
                        text=question.text,
                        multiple=question.multiple,
                        options=[PendingOption(id=o.id, label=o.label, synonyms=o.synonyms) for o in question.options],
                    ),
                )
            else:
                applied.setdefault(question.id, (question, chosen))
    shown = [
        AnswerShown(
            question_id=q.id,
            question=q.text,
            options=chosen,
            answer="、".join(o.label for o in q.options if o.id in chosen),
        )
        for q, chosen in applied.values()
    ]
    time_limit = entry.promised_time_limit.describe() if isinstance(entry, Bundle) else terms[0].promised_time_limit
    fee = entry.fee.describe() if isinstance(entry, Bundle) else terms[0].fee
    return Notice(
        id=entry.id,
        name=entry.name,
        kind="bundle" if isinstance(entry, Bundle) else "item",
        version=entry.version,
        answers=shown,
        materials=list(materials.values()),
        terms=terms,
        time_limit=time_limit,
        fee=fee,
        locations=location_lines(entry.location),
        office_hours=entry.office_hours,
        consult=contact_line(entry.consult),
        complaint=contact_line(entry.complaint),
        notes=notes,
        pending=list(pending.values()),
        ignored=sorted(set(answers) - set(applied)),
    )
