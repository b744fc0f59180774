"""Passages: a guide cut into the sentences and list entries that can answer one ask on their own, and the one
that answers it best.

A question about a fact (an age, a period, a fee, whether a contract needs notarising) is answered by one sentence
of the guide, which may stand in any element or in the FAQ. The answer leads with that sentence, quoted as the
guide writes it; the element asked follows. Nothing is generated: a passage is the guide's own text. Which
sentences may answer depends on the kind of fact asked (:mod:`assistant.qa.message`): a deadline of the person's is
never answered with the office's time limit, the amount of a benefit never with the fee.

Example:
    >>> lead = best_passage(item, ["赠与", "合同", "公证"], "yes_no")  # doctest: +SKIP
    >>> lead.element, lead.text[:20]  # doctest: +SKIP
    ('faq', '问：赠与合同需要公证吗？答：……')
"""

from __future__ import annotations

import functools
import math
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cn2an

from assistant.qa.message import AnswerType, answer_types, begins_paying, deputes, hands_back, holds, revives, twice
from knowledge.render import contact_line, location_lines, material_line
from knowledge.schema import Item

# (a date is no duration: 2019年 of a law's "2019年修订", the 5月 and 10日 of "2025年5月10日")
_DURATION = (
    r"(?<![\d年月])\d{1,3}\s*个?(?:工作日|日|天|个月|月|年|小时)"
    r"|[一二三四五六七八九十百两]+个?(?:工作日|日|天|个月|月|年)|即办|当场"
)
# what a sentence that states a fact of each kind contains
_FACT = {
    "duration": re.compile(_DURATION),
    "validity": re.compile(_DURATION + r"|有效期|长期"),  # 有效期：至下一个检验周期届满
    "amount": re.compile(r"\d+(?:\.\d+)?\s*[万千]?元|免费|不收费|免收|免征"),  # 40元, 30万元
    "benefit": re.compile(r"\d+(?:\.\d+)?\s*[万千]?元|标准"),
    "age": re.compile(r"周岁|\d+\s*岁|[一二三四五六七八九十]+岁"),
    "ratio": re.compile(r"\d+(?:\.\d+)?\s*%|百分之|[一二三四五六七八九]成|\d+\s*个?百分点"),  # 降低10个百分点
    "count": re.compile(r"\d+\s*[次趟]|[一二三两]\s*[次趟]"),
    "number": re.compile(r"[\d一二三四五六七八九十百两]+\s*(?:个|项|张|名|人)"),  # not 份: every material has "1份"
    "phone": re.compile(r"\d{5,}"),
    "penalty": re.compile(r"罚款|罚金|吊销|拘留|没收|警告|责令|撤销"),
}
_FACT["period"] = _FACT["duration"]  # a period is stated as a duration is
FACTS = frozenset(_FACT)
# a quantity stated (numerals written as digits first), to tell whether two sentences state the same fact
_VALUE = re.compile(r"\d+(?:\.\d+)?\s*(?:个工作日|工作日|个月|周岁|小时|[万千]?元|[日天月年岁%次趟项张名人])")
# the kinds of asks one sentence answers: a fact, yes or no, whether one is eligible
LEADING = FACTS | {"yes_no", "eligibility", "elsewhere"}
# the elements that state something else than a fact of this kind asks: a certificate's validity is no time the
# office takes, the office's time is no deadline of the person's, a fee is no benefit, a phone number in a remedy is
# no number to call for advice; a certificate's validity is its result's (an FAQ may say it too)
_ELSEWHERE = {
    "duration": frozenset({"result"}),
    "validity": frozenset(
        {
            "conditions",
            "materials",
            "process",
            "special_procedures",
            "time_limit",
            "fee",
            "location",
            "online",
            "contact",
            "visits",
            "cross_region",
            "rights_remedies",
            "basis",
        }
    ),
    "period": frozenset({"time_limit"}),
    "benefit": frozenset({"fee", "time_limit", "result"}),
    "phone": frozenset({"rights_remedies"}),
    "penalty": frozenset(
        {"time_limit", "fee", "location", "contact", "online", "visits", "result", "cross_region", "rights_remedies"}
    ),
}
# an FAQ whose question asks another kind of fact does not lead ("可以办身份证吗" answers no "办身份证要多久")
_ALSO = {
    "validity": frozenset({"validity"}),
    "period": frozenset({"period", "duration"}),
    "benefit": frozenset({"benefit", "amount"}),
    "penalty": frozenset(),  # an FAQ on a deadline may state what missing it costs ("……逾期未办理的，……罚款")
}
# asks a special procedure's time answers when they name it
_STEPS = frozenset({"duration", "period"})
# asks whose words the guide often puts otherwise (到期前 / 有效期满前, 每月领多少 / 标准): when no passage holds
# enough of what they say beyond the item's name, the name's words count too
_REWORDED = frozenset({"validity", "period", "benefit"})
_WHETHER_ASKS = frozenset({"yes_no", "eligibility"})  # what an FAQ asking yes or no asks
_HOW_CHARS = frozenset("怎么如何什哪谁吗呢啊吧")  # characters of asking how, what or who
RARE = 3  # passages of a guide holding a word, at most, for it to tell one of them (敬老院, not 本人 or 申请)
_QUESTION_END = re.compile(r"[吗呢么？?]$")  # an alias that is a question ("上下班路上出车祸算工伤吗") names no item
LEAD_SHARE = 0.5  # a passage leads when it holds at least this share of the ask's words (by weight)
ALIKE = 2  # an FAQ asking the same in other words holds this many of the ask's own words at least
WHOLE_RULE = 150  # a 通办范围 this long at most is quoted whole to whether a service may be done elsewhere
_HAN_FIRST, _HAN_LAST = "\u3400", "\u9fff"
_PARTED = frozenset("了过")  # particles that part a verb from its object (离了婚, 结过婚)
# words of asking that the question words of the templates leave in
_ASKING_WORDS = frozenset(
    {"是否", "可以", "能否", "需要", "办理", "如何", "怎么", "什么", "请问", "有没有", "能不能", "应该"}
    | {"每个", "每月", "一个月", "每年"}  # 每个月能领多少: the unit of an amount, not what it is about
)
# words saying who acts, not what an ask is about (还要自己交吗, 要不要老人自己到场): the guides say 本人 or 个人, and a
# sentence that happens to write 自己 ("自己辞职能领失业金吗？") does not answer "领失业金期间医保还要自己交吗"
_ACTOR_WORDS = frozenset({"自己", "亲自"})


@dataclass(frozen=True)
class Passage:
    """One sentence, list entry or FAQ pair of a guide, with the element it stands in."""

    element: str
    text: str
    match: str = ""  # the text its words are matched against (an FAQ's question and answer; else the text)
    asks: frozenset[str] | None = None  # an FAQ's: the kinds of answer its question expects
    name: str = ""  # a special procedure's (公示, 减资公告, 离婚冷静期)
    question: str = ""  # an FAQ's question

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
    out += [Passage("process", f"{step.name}：{step.description}") for step in item.process.steps]
    out += [Passage("process", f"{step.name}：{step.description}") for step in item.process.online_steps]
    # a period the law sets inside the procedure (离婚冷静期 30日, 公示 7天, 减资公告 45日) is stated here
    out += [
        Passage("special_procedures", f"{p.name}：{p.description}（{p.time}）", name=p.name)
        for p in item.special_procedures
    ]
    out += [
        Passage("time_limit", f"法定办结时限：{item.legal_time_limit.describe()}"),
        Passage("time_limit", f"承诺办结时限：{item.promised_time_limit.describe()}"),
    ]
    out += [Passage("fee", f"收费标准：{item.fee.describe()}"), *(Passage("fee", w) for w in item.fee.waivers)]
    out += [Passage("location", line) for line in location_lines(item.location)]
    out.append(Passage("contact", f"咨询电话：{contact_line(item.consult)}"))
    out += [Passage("online", s) for s in _sentences(item.online.note)]
    if item.result is not None and item.result.validity:
        out.append(Passage("result", f"{item.result.name}有效期：{item.result.validity}"))
    if item.visits.reason:
        out.append(Passage("visits", f"到办事现场次数：{item.visits.count}次（{item.visits.reason}）"))
    out += [Passage("cross_region", s) for s in _sentences(item.cross_region)]
    # how many one may hold or claim (每人只能持有一本有效的残疾人证; 同一时期只能有一笔未结清的住房公积金贷款): none
    # when the guide says there is no limit, or leaves it to local rules
    if item.quantity_limit.strip("。") not in _NO_LIMIT:
        out += [Passage("quantity_limit", s) for s in _sentences(item.quantity_limit)]
    out += [Passage("rights_remedies", r) for r in item.rights_remedies]
    out += [
        Passage(
            "faq",
            f"问：{f.question}\n答：{f.answer}",
            f.question + f.answer,
            answer_types(f.question),
            question=f.question,
        )
        for f in item.faq
    ]
    out += [Passage("basis", f"{b.law}{b.article}：{b.text}") for b in item.basis if b.text]
    return tuple(out)


_NO_LIMIT = frozenset({"无", "不限", "由本地确定"})  # a 数量限制 that states none


def _bigrams(text: str) -> set[str]:
    han = [_HAN_FIRST <= c <= _HAN_LAST for c in text]
    return {text[i : i + 2] for i in range(len(text) - 1) if han[i] and han[i + 1]}


def best_passage(
    item: Item,
    words: Sequence[str],
    answer_type: AnswerType | None,
    cut: Sequence[Passage] | None = None,
    element: str | None = None,
    *,
    strict: bool = False,
    stated: str = "",
    telling: Sequence[str] = (),
) -> Passage | None:
    """The passage that answers an ask best, or None when none holds enough of it.

    The ask's words are compared with each passage by their character pairs, each pair weighted by how few of
    the guide's passages hold it (住房公积金 is in all of them and tells nothing; 购房地 tells much). A passage leads
    when it holds at least LEAD_SHARE of the ask's weight and, for an ask about a fact (an age, a period, a fee,
    a count, a number), states a fact of that kind. The overview never leads: it answers nothing in particular;
    nor do the words of the item's name, which say which guide, not which of its sentences. A yes-or-no ask that
    names the item alone gets no lead (the element asked answers it), nor one about an element that says yes or no
    itself unless an FAQ asks just that (see :func:`_says_itself`); whether it may be done here, away from one's
    household registration, is answered by the guide's 通办范围 (cross_region). Of passages holding as much of a
    yes-or-no ask, an FAQ asking yes or no of just that leads. A how-to gets no lead, the element asked answers it,
    unless an FAQ asks just that how-to (see :func:`_faq_asking_how`).

    Args:
        item: the guide.
        words: the ask's content words (normalised; question words left out).
        answer_type: the kind of answer expected.
        cut: the item's :func:`passages`, when kept from an earlier answer.
        element: the element asked: of passages that hold as much of the ask, one of this element leads.
        strict: whether the ask's words that the guide never uses count too (when a question about something the
            guide does not say, "发明专利要多久", is to be answered from it at all).
        stated: the ask as written: a yes-or-no or eligibility ask that states a quantity ("过了十八岁还能领吗") is
            answered by the passage stating it (特困人员中的未成年人年满十八周岁后，仍在……就学的，继续予以供养).
        telling: words of the ask that the element templates use too (加急, 登报: left out of ``words`` as words of
            asking); a yes-or-no or eligibility ask counts those few of the guide's passages hold (RARE at most):
            "护照能不能加急办" is about the sentence on 加急, "护照丢了补办要登报吗" about the FAQ on 登报.
    """
    if answer_type not in LEADING and answer_type is not None:
        return None  # a list of materials, a place: the element asked is the answer
    kept = [w for w in words if w not in _ASKING_WORDS and w not in _ACTOR_WORDS]
    # a verb and its object parted by 了 or 过 ("离了婚", "结过婚") is the word the guide writes (离婚, 结婚)
    kept = list(dict.fromkeys(w[0] + w[2] if len(w) == 3 and w[1] in _PARTED else w for w in kept))
    # an ask on a topic the guides word otherwise than people do (see _TOPICS: someone else doing it, the old
    # certificate, from when money is paid, doing it twice): the guide's sentence on that, wherever it stands
    topic = next((topic for topic in _TOPICS if answer_type in topic.kinds and topic.asked(stated)), None)
    if topic is not None:
        told_of = [p for p in (passages(item) if cut is None else cut) if p.element != "overview"]
        on_topic = _on_topic(told_of, set().union(set(), *(_bigrams(w) for w in kept)) - _bigrams(item.name), topic)
        if on_topic is not None:
            return on_topic
    if answer_type is None:
        # a how-to: the element asked answers it, unless an FAQ asks just that how-to ("缴费不满15年怎么办")
        return _faq_asking_how(cut if cut is not None else passages(item), kept, item.name, stated)
    names, own = _naming(item, kept)
    if answer_type == "elsewhere":
        # whether it may be done here, away from one's household registration: an FAQ asking just that ("买外地的
        # 二手车，能在示例市直接过户吗"), else the guide's 通办范围
        guide = cut if cut is not None else passages(item)
        rule = _faq_asking(guide, own) if own else None
        # the whole of a short 通办范围 ("属地管理……；可通过“跨省通办”在居住地提交申请"), else its first sentence
        rules = [p for p in guide if p.element == "cross_region"]
        whole = "".join(p.text for p in rules)
        if len(rules) > 1 and len(whole) <= WHOLE_RULE:
            rules = [Passage("cross_region", whole)]
        rule = rule or next(iter(rules), None)
        if rule is not None or strict:
            return rule
        answer_type = "yes_no"
    # (the 数量限制 answers how many one may hold or claim, asked as such: see _TOPICS; its 一张 and 一本 are no
    # sentence's to lead on "港澳通行证办一张多少钱")
    excluded = {"overview", "quantity_limit", *_ELSEWHERE.get(answer_type or "", ())}
    cut = [p for p in (passages(item) if cut is None else cut) if p.element not in excluded]
    if not cut:
        return None
    grams = [p.grams for p in cut]
    if answer_type not in FACTS:
        # yes or no, eligible or not: about what the ask names, whether the guide words it so or not. An ask that
        # names the item alone, by its name or an alias and their words, asks what the element asked answers
        # ("取公积金能在手机上办吗": online; not the FAQ on 租房提取公积金)
        if names and all(any(w in name for name in names) for w in kept) and not _cued(cut, telling):
            return None
        named = set().union(set(), *(_bigrams(w) for w in kept)) - _bigrams(item.name)
        lead = _best(cut, grams, named, None, frozenset(), None) if named else None
        lead = lead or _cued(cut, telling, named)
        quantities = _quantities(stated)
        if quantities and (lead is None or not _quantities(lead.text) & quantities):
            lead = _stating(cut, grams, named, quantities) or lead
        if quantities and lead is not None:
            lead = _sentence_stating(lead, quantities)
        if lead is None and not strict:
            lead = _faq_alike(cut, grams, named, own, item.name)
        if answer_type == "yes_no" and (holds(element, "yes_no") or element == "visits"):
            return _says_itself(cut, own, lead)
        return lead
    # a fact: the pairs no passage holds tell no passage from another (and a word cut wrongly makes some: 冷静|期是);
    # but a question of how long the office takes is answered by its time limit unless a sentence holds it all
    every = strict or answer_type == "duration"
    said = {g for w in kept for g in _pairs(w, kept) if every or any(g in gs for gs in grams)}
    # the item's name, also shortened (股份公司, 失业金), says which guide
    named = {g for w in kept if not _shortens(w, item.name) for g in _pairs(w, kept)} & said - _bigrams(item.name)
    # the words of the item's own name tell which guide, not which of its sentences; but a question about a fact
    # that says nothing else ("结婚多大年龄"), or whose other words the guide puts otherwise ("驾驶证到期前多久换证":
    # 有效期满前), is about the sentence stating that fact wherever the name stands in it. Not so a question of how
    # long the office takes: its time limit answers that.
    tries = [named] if named else []
    reworded = answer_type in _REWORDED and not strict
    if (reworded or (answer_type != "duration" and not named)) and said != named:
        tries.append(said)
    fact = _FACT[answer_type]
    kinds = _ALSO.get(answer_type, frozenset({answer_type}))
    found = next(filter(None, (_best(cut, grams, asked, fact, kinds, element) for asked in filter(None, tries))), None)
    if answer_type in _STEPS and (found is None or found.element == "time_limit"):
        # how long a step of the procedure lasts, asked in words the guide does not use (低保名单要公示几天), or
        # in words the office's time limit holds too without stating the step's time ("低保公示几天": 20个工作日（含
        # 公示期）, not the 7天 of 公示; the divorce's time limit states its 30日离婚冷静期 and still answers): the
        # step's own time; a step is named by the last two characters of its name, the head of a Chinese compound
        # (公示, 公告, 核查, 冷静期)
        asked_text = "".join(kept)
        for passage in cut:
            step = bool(passage.name) and passage.name[-2:] in asked_text and bool(fact.search(passage.text))
            if step and (found is None or not _values(passage.text) <= _values(found.text)):
                return passage
    if found is None and reworded and not named:
        # an ask naming nothing but the item and a kind of fact the guide puts otherwise ("每月能领多少钱" about
        # 失业保险金申领): the guide's one FAQ asking that kind of fact answers it, though its answer states no figure
        # ("标准由省级人民政府确定……"); how long the office takes is its time limit's to answer
        asking = [p for p in cut if p.question and p.asks and p.asks & kinds]
        if len(asking) == 1:
            return asking[0]
    return found


def law_behind(item: Item, answer_type: AnswerType | None, lead: Passage | None) -> Passage | None:
    """The sentence of a law the guide cites that states the fact a lead from elsewhere in the guide states.

    A period, an age or an amount set by law is told by the guide in its own words ("最长18个月" in an FAQ) and by
    the law in its words ("期限最长为十八个月"): the answer quotes both, the law's sentence as it stands in the
    guide's 设定依据 (a whole sentence, to its 。, with its law and article: a rule in tiers, 满一年不足五年的……十二个月；
    满五年不足十年的……十八个月, is quoted whole), so a person can tell where the figure comes from.
    The sentence is the one of a fact of the kind asked that shares the most quantities with the lead (of 第四十五条,
    满一年, and 第四十六条, 满一年不足五年……十八个月, the latter). None when the lead is the law itself or already
    quotes its sentence, clause by clause (an FAQ answering in the Civil Code's words), when the ask is about no fact,
    or when no sentence of the guide's laws states a quantity the lead states.
    """
    if answer_type not in FACTS or lead is None or lead.element == "basis":
        return None
    stated = _values(lead.text)
    fact = _FACT[answer_type]
    best: tuple[int, Passage] | None = None
    for law in item.basis:
        for sentence in _law_sentences(law.text):
            if _quotes(lead.text, sentence) or not fact.search(sentence):
                continue
            shared = len(_values(sentence) & stated)
            if shared and (best is None or shared > best[0]):
                best = (shared, _law_quote(f"{law.law}{law.article}", sentence))
    return best[1] if best else None


def _stating(
    cut: Sequence[Passage], grams: Sequence[frozenset[str]], named: set[str], quantities: frozenset[str]
) -> Passage | None:
    """Of the passages stating one of ``quantities``, the one holding most of the ask's words (by weight); of
    equals, the first."""
    weight = _weights(grams, named)
    best: tuple[float, Passage] | None = None
    for passage, gs in zip(cut, grams, strict=True):
        share = sum(w for g, w in weight.items() if g in gs)
        if _quantities(passage.text) & quantities and (best is None or share > best[0]):
            best = (share, passage)
    return best[1] if best else None


def _sentence_stating(passage: Passage, quantities: frozenset[str]) -> Passage:
    """Of a law's article, the sentence stating one of ``quantities``, with its law and article (as
    :func:`law_behind` quotes one); any other passage as it is."""
    if passage.element != "basis":
        return passage
    law, _, text = passage.text.partition("：")
    sentence = next((s for s in _law_sentences(text) if _quantities(s) & quantities), None)
    return _law_quote(law, sentence) if sentence else passage


def _law_sentences(text: str) -> list[str]:
    """A law's text cut into whole sentences, each to its 。 (its clauses and tiers kept together)."""
    return re.findall(r"[^。\n]+。?", text)


def _law_quote(law: str, sentence: str) -> Passage:
    """One sentence of a law as an answer quotes it: the law and article, then the sentence."""
    return Passage("basis", f"{law}：{sentence.strip()}", sentence)


_UNITS = (("周岁", "岁"), ("个工作日", "工作日"), ("个月", "月"), ("天", "日"))

# a numeral that counts nothing: an ordinal (第一次办证), 一次性 (一次性告知), the name of a kind (九年义务教育)
_NOT_COUNTED = re.compile(
    r"第[\d一二三四五六七八九十百两]+|一次性|九年(?=义务|一贯|制)"
    r"|[\d〇零一二三四五六七八九十]{1,2}月(?:份|[\d〇零一二三四五六七八九十]{1,3}[日号])?"  # a date: 7月31日, 每年5月份
    r"|(?<!\d)\d{2}年(?=[\d〇零一二三四五六七八九十]{1,2}月)"  # ... its year written short: 24年9月份
)
# an age, a span of years, months or days, a sum: what a person's situation is told in (过了十八岁, 交了12年, 6年内,
# 30天, 30日内); not a date (2020年7月31日, 每年5月份) nor a count of times, papers or people (一次办)
_STATED = re.compile(r"\d{1,3}(?:周岁|岁|年|个月|天|日|个工作日|工作日)|\d+(?:\.\d+)?[万千]?元")


@functools.lru_cache(maxsize=4096)
def _quantities(text: str) -> frozenset[str]:
    """The ages, spans and sums a text states, as :func:`_values` reads them, their units made one (十八周岁 and
    18岁; 30天 and 30日)."""
    found = set()
    for value in _values(_NOT_COUNTED.sub("", text)):
        if _STATED.fullmatch(value):
            for unit, same in _UNITS:
                value = value.replace(unit, same)
            found.add(value)
    return frozenset(found)


def _quotes(text: str, sentence: str) -> bool:
    """Whether ``text`` holds every clause of ``sentence`` (结婚年龄，男不得早于二十二周岁，女不得早于二十周岁。 in an FAQ
    asking 法定结婚年龄 and answering 男不得早于二十二周岁，女不得早于二十周岁)."""
    return all(clause in text for clause in re.split(r"[，,；;：:。、]", sentence) if clause.strip())


# warnings.catch_warnings swaps the process's filters: two threads inside it at once could leave them changed
_QUIET = threading.Lock()


@functools.lru_cache(maxsize=4096)
def _values(text: str) -> frozenset[str]:
    """The quantities a text states, its numerals written as digits: 十八个月 and 18个月 are one."""
    with _QUIET, warnings.catch_warnings():  # a numeral cn2an cannot read (万 alone) is left as written: no log
        warnings.simplefilter("ignore")
        digits = cn2an.transform(text, "cn2an")
    return frozenset(v.replace(" ", "") for v in _VALUE.findall(digits))


def _naming(item: Item, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """An ask's words that name the item (its name, or an alias that is no question, written whole) and its own
    words: those of two characters or more that are part neither of those nor of the item's name."""
    names = [w for w in words if w == item.name or (w in item.aliases and not _QUESTION_END.search(w))]
    own = [w for w in words if len(w) >= 2 and w not in item.name and not any(w in name for name in names)]
    return names, own


def _says_itself(cut: Sequence[Passage], own: Sequence[str], lead: Passage | None) -> Passage | None:
    """The lead of a yes-or-no ask about an element that says yes or no itself (可以网上办理, 须本人到场, 不收费),
    given the ask's own words (not the service's names) and the lead the ask's words found.

    An FAQ whose question holds every own word, two at least, leads ("刻公章要去公安局审批吗": 刻公章还要先去公安局
    审批吗); so does the lead found, when it holds an own word that few of the guide's passages hold ("能不能让他住
    到敬老院去": the 集中供养 material). Else the element itself answers: no sentence sharing a name or an everyday
    word leads ("办护照要本人去吗": not the FAQ on 在外地办护照; "社保卡能在手机上申请吗": not the 申请 step).
    """
    if len(own) >= 2:
        faq = _faq_asking(cut, own)
        if faq is not None:
            return faq
    if lead is None:
        return None
    held = [w for w in own if w in (lead.match or lead.text)]
    return lead if any(_held(cut, w) <= RARE for w in held) else None


@dataclass(frozen=True)
class _Topic:
    """An ask whose answer the guide words otherwise than people do, wherever it stands in the guide.

    ``asked``: whether an ask (as written) is on the topic; ``says``: a passage saying something on it; ``asking``:
    an FAQ question asking it; ``plainly``: a passage saying it in so many words, not only around it; ``telling``:
    whether the ask tells its guide's sentence so surely that the best guide answers it below the threshold (the old
    certificate found again: few other messages write 找到 and 还能用; not someone else doing it, whose words a
    contract's 委托 or an agency for hire share)."""

    asked: Callable[[str], bool]
    says: re.Pattern[str]
    asking: re.Pattern[str]
    plainly: re.Pattern[str]
    telling: bool = False
    kinds: frozenset[AnswerType | None] = frozenset({"yes_no", "eligibility"})  # the kinds of ask it is read in
    # of passages saying as much on it, the element that says it leads: who may apply, what a certificate is worth,
    # from when money is paid (the conditions first, then the visits', the procedure's); how many (the 数量限制)
    first: tuple[str, ...] = ("conditions", "visits", "process")


# someone else doing it for the person: what a guide says who else may apply in (委托他人代办, 由监护人代为申请,
# 受托人, 授权委托书) or that no one may (本人须到场, 亲自到场); not a bank's 受委托 part, nor a guardian who only comes
# along ("未成年人由监护人陪同"); an FAQ asking it (本户其他人能去补吗, 可以让家里人代办签注吗, 孩子或精神残疾的家人能
# 自己去办吗)
_DEPUTIES = r"委托(?:他人|代理人|村|居|家属|亲属|具有)|不能委托|代办|代为|代理人|代领|受托人|授权委托书"
_AGENCY = _DEPUTIES + r"|本人(?:须|必须|应当|应)?(?:亲自)?到场|亲自到"
# ... and the old certificate found after a new one was issued: 补领后原证件作废，找回的应交回 (补领以后原来的身份证找到了
# 还能用吗？)
_VOID = r"作废"
_PAID_FROM = r"次月起|当月计发|当月起|起计发|起发放|起按月|起给予"
_ONLY = r"只能|只发给|只办理一次|不得重复|一人一证|不得同时|不能同时"
_TOPICS = (
    _Topic(
        deputes,
        re.compile(_AGENCY),
        re.compile(_AGENCY + r"|代|替|帮|其他人|家里人|家人|别人|他人"),
        re.compile(_DEPUTIES),
    ),
    _Topic(revives, re.compile(_VOID), re.compile(r"找到|找回|找着|原来|旧"), re.compile(r"找回|找到"), telling=True),
    # ... and whether the old one is handed back once a new one is had: 领取新证时交回原证, 应当交回临时居民身份证
    # ("换新身份证时旧证要不要交", read as a fee)
    _Topic(
        hands_back,
        re.compile(r"交回|收回|缴回"),
        re.compile(r"旧|原来|交回|留着"),
        re.compile(r"交回|收回|缴回"),
        kinds=frozenset({"yes_no", "eligibility", "amount", None}),
        first=("quantity_limit", "conditions", "faq", "materials"),
    ),
    # ... and from when a benefit is paid, once granted: 自确认的次月起按月发放低保金, 自递交申请的当月计发 ("低保批下来
    # 以后从什么时候开始发钱", read as how long the office takes)
    _Topic(
        begins_paying,
        re.compile(_PAID_FROM),
        re.compile(r"什么时候|何时|哪个月|从哪|开始"),
        re.compile(_PAID_FROM),
        kinds=frozenset({None, "duration", "period", "yes_no", "benefit"}),
    ),
    # ... and whether one may hold, claim or do it twice: 每人只能持有一本有效的残疾人证, 同一人只能参加一项基本养老保险,
    # 同一时期只能有一笔未结清的住房公积金贷款 ("可以同时拿两本吗", "还能再贷第二笔吗", "能不能两边都报名")
    _Topic(
        twice,
        re.compile(_ONLY),
        re.compile(r"同时|两[本张份项笔边处家套]|第二|再|重复"),
        re.compile(_ONLY),
        kinds=frozenset({"yes_no", "eligibility", "number", "count"}),
        first=("quantity_limit", "conditions", "faq"),
    ),
)


def topical(answer_type: AnswerType | None, ask: str) -> bool:
    """Whether an ask (as written, of that kind) is on one of the topics the guides word otherwise than people do
    (see :data:`_TOPICS`): its guide's sentence on the topic answers it, whatever words of its own it writes."""
    return any(answer_type in topic.kinds and topic.asked(ask) for topic in _TOPICS)


def telling_topic(ask: str) -> bool:
    """Whether an ask (as written) is on a topic the guides word otherwise than people do that tells its guide's
    sentence surely enough to be answered below the threshold (see :class:`_Topic`: an old certificate found again)."""
    return any(topic.telling and topic.asked(ask) for topic in _TOPICS)


def _on_topic(cut: Sequence[Passage], named: set[str], topic: _Topic) -> Passage | None:
    """The passage saying what an ask on a topic asks (see :data:`_TOPICS`): an FAQ asking just that ("户口本丢了，本户
    其他人能去补吗？", "补领以后原来的身份证找到了还能用吗？"), else a sentence of the guide's own (not the law it cites) on
    it (双方必须亲自到场……不能委托他人代办; 补领后原户口簿作废，找回的……); of several, the one of the element the
    topic puts first (``first``: the conditions', then the visits', the procedure's; the 数量限制's for how many),
    then one saying it plainly (who else may, not only that one goes in person; the one found again, not only that
    the old one is void), then the one holding most of the ask's other pairs (``named``), then the first: "办护照要
    本人去吗？可以代办不" is answered by 申请人本人须到场, not by the material a guardian's delegate brings. The 数量限制
    is read only by the topics that put it first."""
    own = [
        p
        for p in cut
        if p.element != "basis"
        and (p.element != "quantity_limit" or p.element in topic.first)
        and topic.says.search(p.match or p.text)
    ]
    asking = [p for p in own if p.question and topic.asking.search(p.question)]
    pool = asking or own
    if not pool:
        return None
    return max(
        enumerate(pool),
        key=lambda found: (
            -topic.first.index(found[1].element) if found[1].element in topic.first else -len(topic.first),
            bool(topic.plainly.search(found[1].match or found[1].text)),
            len(named & found[1].grams),
            -found[0],
        ),
    )[1]


def _held(cut: Sequence[Passage], word: str) -> int:
    """How many of a guide's passages hold a word."""
    return sum(word in (p.match or p.text) for p in cut)


def _cued(cut: Sequence[Passage], telling: Sequence[str], named: set[str] | None = None) -> Passage | None:
    """The passage a word of the ask's that the templates use too tells (see :func:`best_passage`'s ``telling``),
    when few of the guide's passages (RARE at most) hold it: an FAQ whose question holds it first ("补办护照要登报
    声明……吗" for 登报), else the one holding it, or of several the one holding most of the ask's other pairs
    (``named``), one at least. The articles of law a guide cites are not counted: an article quotes what the guide
    says in its own words (护照法 第六条 holds 加急 beside the time limit and the FAQ saying it, and "紧急情况能不能申请
    加急办护照" is about that time limit's 合理紧急事由可申请加急)."""
    own = [p for p in cut if p.element != "basis"]
    rare = [w for w in telling if len(w) >= 2 and 0 < _held(own, w) <= RARE]
    if not rare:
        return None
    holding = [p for p in cut if any(w in (p.match or p.text) for w in rare)]
    asking = [p for p in holding if any(w in p.question for w in rare)]
    if asking:
        return asking[0]
    pairs = named or set()
    best = max(holding, key=lambda p: len(pairs & p.grams))
    return best if len(holding) == 1 or pairs & best.grams else None


def _faq_alike(
    cut: Sequence[Passage], grams: Sequence[frozenset[str]], named: set[str], own: Sequence[str], name: str
) -> Passage | None:
    """The FAQ asking what a yes-or-no ask asks in words of its own, when no passage holds enough of the ask.

    A person's words the guide never uses ("骑电动车被撞了", "老人九十多了走不动") tell no passage from another,
    yet weigh most (no passage holds them): only the pairs some passage holds are weighed, and only an FAQ may
    lead on them, when its question holds two of the ask's own words at least (not the item's name shortened:
    社保卡 is every FAQ's of 社会保障卡申领). "下班路上骑电动车被撞了，算公伤吗": 上下班路上被车撞了算工伤吗;
    "现在扯证还用带户口本不": 现在领结婚证还要带户口本吗.
    """
    held = {g for g in named if any(g in gs for gs in grams)}
    if not held or held == named:
        return None
    faq = _best(cut, grams, held, None, frozenset(), None, faq=True)
    telling = [w for w in own if not _shortens(w, name)]
    return faq if faq is not None and sum(w in faq.question for w in telling) >= ALIKE else None


def _faq_asking_how(cut: Sequence[Passage], kept: Sequence[str], name: str, ask: str) -> Passage | None:
    """The FAQ asking how-to just as an ask does: its question asks no kind of fact, holds every character pair of
    the ask's words that are not the item's name (ALIKE at least), and the ask as written holds every pair of its
    question but those of asking ("公司换法人要怎么办理" is not "换法人谁来签字")."""
    named = _bigrams(name)
    asked = {g for w in kept if not _shortens(w, name) for g in _pairs(w, kept)} - named
    if len(asked) < ALIKE:
        return None
    written = _bigrams(ask)
    for passage in cut:
        if not passage.question or passage.asks:
            continue
        question = _bigrams(passage.question)
        if asked <= question and all(g in written for g in question - named if not _HOW_CHARS & set(g)):
            return passage
    return None


def _faq_asking(cut: Sequence[Passage], own: Sequence[str]) -> Passage | None:
    """The first FAQ whose question holds every one of an ask's own words."""
    return next((p for p in cut if p.question and all(w in p.question for w in own)), None)


def time_limit(item: Item, cut: Sequence[Passage] | None = None) -> Passage | None:
    """The first time limit of the guide that states a time (法定办结时限: 3自然日; not 无法定时限)."""
    cut = passages(item) if cut is None else cut
    return next((p for p in cut if p.element == "time_limit" and _FACT["duration"].search(p.text)), None)


def _pairs(word: str, words: Sequence[str]) -> set[str]:
    """The character pairs of a word, less those that straddle two of its parts the segmenter also gives ("申请工伤"
    is 申请 + 工伤: 请工 says nothing)."""
    parts = [(i, i + len(w)) for w in set(words) if 1 < len(w) < len(word) for i in _find_all(word, w)]
    pairs = set()
    for i, pair in enumerate(word[k : k + 2] for k in range(len(word) - 1)):
        left = {p for p in parts if p[0] <= i < p[1]}
        right = {p for p in parts if p[0] <= i + 1 < p[1]}
        if not (left and right and not left & right):
            pairs |= _bigrams(pair)
    return pairs


def _find_all(word: str, part: str) -> list[int]:
    return [i for i in range(len(word) - len(part) + 1) if word.startswith(part, i)]


def _shortens(word: str, name: str) -> bool:
    """Whether ``word`` is ``name`` shortened: its characters, in order, all in the name (股份公司, 失业金)."""
    rest = iter(name)
    return len(word) > 1 and all(c in rest for c in word)


def _weights(grams: Sequence[frozenset[str]], asked: set[str]) -> dict[str, float]:
    """Each asked character pair weighted by how few of the passages (their ``grams``) hold it."""
    return {g: math.log(1 + len(grams) / (1 + sum(g in gs for gs in grams))) for g in asked}


def _best(
    cut: Sequence[Passage],
    grams: Sequence[frozenset[str]],
    asked: set[str],
    fact: re.Pattern[str] | None,
    kinds: frozenset[str],
    element: str | None,
    *,
    faq: bool = False,
) -> Passage | None:
    """The passage holding the largest share (at least LEAD_SHARE) of the asked pairs' weight among those stating
    a fact of the kind asked (``fact``; an FAQ: whose question asks one of ``kinds``, when given); of equals, an
    FAQ asking that kind of fact, then one of the ``element`` asked, then the first. ``faq``: of the FAQs alone
    (weighed by all the passages)."""
    weight = _weights(grams, asked)
    total = sum(weight.values())
    best: tuple[tuple[float, bool, bool, bool, int], Passage] | None = None
    for order, (passage, gs) in enumerate(zip(cut, grams, strict=True)):
        if (fact is not None and not fact.search(passage.text)) or (faq and not passage.question):
            continue
        if kinds and passage.asks and not passage.asks & kinds:
            continue
        share = sum(w for g, w in weight.items() if g in gs) / total
        # of equals, for a yes-or-no ask, an FAQ asking yes or no of just that: its question holds every pair asked
        # ("离了婚还能补领结婚证不": 已经离婚了还能补结婚证吗, not the condition 仍维持该婚姻关系)
        asking = (
            fact is None
            and bool(passage.asks and passage.asks & _WHETHER_ASKS)
            and all(g in passage.question for g in asked)
        )
        key = (round(share, 9), asking, bool(passage.asks and passage.asks & kinds), passage.element == element, -order)
        if share >= LEAD_SHARE and (best is None or key > best[0]):
            best = (key, passage)
    return best[1] if best else None
