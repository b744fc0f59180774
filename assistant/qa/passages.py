"""Passages: a guide cut into the sentences and list entries that can answer one ask on their own, and the one
that answers it best.

A question about a fact (an age, a period, a fee, whether a contract needs notarising) is answered by one sentence
of the guide, which may stand in any element or in the FAQ. The answer leads with that sentence, quoted as the
guide writes it; the element asked follows. Nothing is generated: a passage is the guide's own text.

Example:
    >>> lead = best_passage(item, ["赠与", "合同", "公证"], "yes_no")  # doctest: +SKIP
    >>> lead.element, lead.text[:20]  # doctest: +SKIP
    ('faq', '问：赠与合同需要公证吗？答：……')
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.qa.message import AnswerType
from knowledge.render import location_lines, material_line
from knowledge.schema import Item

# what a sentence that states a fact of each kind contains
_FACT = {
    "duration": re.compile(
        r"\d+\s*个?(?:工作日|日|天|个月|月|年|小时)|[一二三四五六七八九十百两]+个?(?:工作日|日|天|个月|月|年)|即办|当场"
    ),
    "amount": re.compile(r"\d+(?:\.\d+)?\s*元|免费|不收费|免收|免征"),
    "age": re.compile(r"周岁|\d+\s*岁|[一二三四五六七八九十]+岁"),
    "count": re.compile(r"\d+\s*次|[一二三两]次"),
    "phone": re.compile(r"\d{5,}"),
}
# the kinds of asks one sentence answers: a fact, yes or no, whether one is eligible
FACTS = frozenset({"duration", "amount", "age", "count", "phone"})
LEADING = FACTS | {"yes_no", "eligibility"}
LEAD_SHARE = 0.5  # a passage leads when it holds at least this share of the ask's words (by weight)
_HAN_FIRST, _HAN_LAST = "\u3400", "\u9fff"
# words of asking that the question words of the templates leave in
_ASKING_WORDS = frozenset(
    {"是否", "可以", "能否", "需要", "办理", "如何", "怎么", "什么", "请问", "有没有", "能不能", "应该"}
)


@dataclass(frozen=True)
class Passage:
    """One sentence, list entry or FAQ pair of a guide, with the element it stands in."""

    element: str
    text: str
    match: str = ""  # the text its words are matched against (an FAQ's question and answer; else the text)

    @functools.cached_property
    def grams(self) -> frozenset[str]:
        """The character pairs of what its words are matched against (cut once)."""
        return frozenset(_bigrams(self.match or self.text))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^。；;\n]+[。；;]?", text or "") if s.strip()]


def passages(item: Item) -> tuple[Passage, ...]:
    """Every passage of an item's guide, in the guide's order (the answerer keeps them per guide it answers from)."""
    out: list[Passage] = [Passage("overview", s) for s in _sentences(item.overview)]
    out += [Passage("conditions", c) for c in item.conditions]
    out += [Passage("materials", material_line(m)) for m in item.materials]
    out += [
        Passage("time_limit", f"法定办结时限：{item.legal_time_limit.describe()}"),
        Passage("time_limit", f"承诺办结时限：{item.promised_time_limit.describe()}"),
    ]
    out += [Passage("fee", f"收费标准：{item.fee.describe()}"), *(Passage("fee", w) for w in item.fee.waivers)]
    out += [Passage("location", line) for line in location_lines(item.location)]
    out += [Passage("online", s) for s in _sentences(item.online.note)]
    if item.result is not None and item.result.validity:
        out.append(Passage("result", f"{item.result.name}有效期：{item.result.validity}"))
    if item.visits.reason:
        out.append(Passage("visits", f"到办事现场次数：{item.visits.count}次（{item.visits.reason}）"))
    out += [Passage("cross_region", s) for s in _sentences(item.cross_region)]
    out += [Passage("rights_remedies", r) for r in item.rights_remedies]
    out += [Passage("faq", f"问：{f.question}\n答：{f.answer}", f.question + f.answer) for f in item.faq]
    out += [Passage("basis", f"{b.law}{b.article}：{b.text}") for b in item.basis if b.text]
    return tuple(out)


def _bigrams(text: str) -> set[str]:
    han = [_HAN_FIRST <= c <= _HAN_LAST for c in text]
    return {text[i : i + 2] for i in range(len(text) - 1) if han[i] and han[i + 1]}


def best_passage(
    item: Item, words: Sequence[str], answer_type: AnswerType | None, cut: Sequence[Passage] | None = None
) -> Passage | None:
    """The passage that answers an ask best, or None when none holds enough of it.

    The ask's words are compared with each passage by their character pairs, each pair weighted by how few of
    the guide's passages hold it (住房公积金 is in all of them and tells nothing; 购房地 tells much). A passage leads
    when it holds at least LEAD_SHARE of the ask's weight and, for an ask about a fact (an age, a period, a fee,
    a count, a number), states a fact of that kind. The overview never leads: it answers nothing in particular;
    nor do the words of the item's name, which say which guide, not which of its sentences.

    Args:
        item: the guide.
        words: the ask's content words (normalised; question words left out).
        answer_type: the kind of answer expected.
        cut: the item's :func:`passages`, when kept from an earlier answer.
    """
    if answer_type not in LEADING:
        return None  # a list of materials, a place, a how-to: the element asked is the answer
    cut = [p for p in (passages(item) if cut is None else cut) if p.element != "overview"]
    if not cut:
        return None
    grams = [p.grams for p in cut]
    said = set().union(set(), *(_bigrams(w) for w in words if w not in _ASKING_WORDS))
    # the words of the item's own name tell which guide, not which of its sentences; a question about a fact that
    # says nothing else ("结婚多大年龄") is about the sentence stating that fact wherever the name stands in it
    asked = (said - _bigrams(item.name)) or (said if answer_type in FACTS else set())
    if not asked:
        return None
    count = len(cut)
    weight = {g: math.log(1 + count / (1 + sum(g in gs for gs in grams))) for g in asked}
    total = sum(weight.values())
    fact = _FACT.get(answer_type or "")
    best: tuple[float, int, Passage] | None = None
    for order, (passage, gs) in enumerate(zip(cut, grams, strict=True)):
        if fact is not None and not fact.search(passage.text):
            continue
        share = sum(w for g, w in weight.items() if g in gs) / total
        if share >= LEAD_SHARE and (best is None or share > best[0]):
            best = (share, -order, passage)
    return best[2] if best else None
