"""Question analysis: what a message says, read once: its normalised text, its words, which of them say what
it is about, the element asked, the entries it names and how likely it is about no service at all.

Example:
    >>> analyser = QuestionAnalyser.for_index(index)  # doctest: +SKIP
    >>> question = analyser.run("結昏證要帶啥")  # doctest: +SKIP
    >>> question.text, question.element, question.content  # doctest: +SKIP
    ('结婚证要带什么', 'materials', ['结婚证'])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import yaml

from assistant.qa.message import (
    AnswerType,
    Ask,
    Message,
    answer_type,
    answer_types,
    asks_contact,
    asks_policy,
    element_for,
    read_message,
    wished,
    words_inside,
)
from assistant.retrieval.bm25 import tokens
from nlu.elements import TEMPLATES, Analysis
from nlu.normalize import load_lexicon
from nlu.segmenter import Segmenter, cut, everyday_count

if TYPE_CHECKING:
    from assistant.retrieval.index import Index

_HAN = re.compile(r"[\u3400-\u9fff]")
_CLAUSE = re.compile(r"[^，,。？?！!；;：:]+")
SPREAD = 10  # characters between the words of a phrase the catalogue lacks, at most, for it to count as named
# a reason the person gives, to the end of the ask (read without its punctuation): background, not what is asked
# ("由于幼儿园期间多生病")
_REASON = re.compile(r"(由于|因为).*")
_DONE = re.compile(r"[^，,；;。！？!?]*了[，,；;]")  # a clause telling what has happened ("村里拆迁了，"): background
_PUNCTUATION = re.compile(r"\W+")
ASKED = 6  # characters an ask keeps at least, without its clauses of what has happened, for those to be background


@dataclass(frozen=True)
class Question:
    """One message as question answering reads it."""

    query: str  # as typed
    text: str  # normalised
    words: list[str] = field(default_factory=list)  # BM25 tokens of ``text``
    content: list[str] = field(default_factory=list)  # the words that are not question words (多少钱, 怎么办)
    element: str | None = None  # the element asked; None for a general question
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (entry id, phrase), longest first
    out_of_scope: float = 0.0  # the scope classifier's probability that it is about no service item
    asks: list[Ask] = field(default_factory=list)  # a long message's questions, in order (see assistant.qa.message)
    lacking: str | None = None  # a service the catalogue lacks that the (first) ask is about, as the catalogue names it
    answer_type: AnswerType | None = None  # the kind of answer the (first) ask expects
    ask_words: list[str] = field(default_factory=list)  # the content words of the (first) ask
    # the words of the (first) ask that the element templates use too (加急, 登报, 代办): words of asking to the
    # classifier, yet one that few of a guide's sentences hold tells which of them answers
    ask_cues: list[str] = field(default_factory=list)

    @property
    def first_ask(self) -> str:
        """The text of its (first) ask, as written; a plain question's own."""
        return self.asks[0].text if self.asks else self.query

    @property
    def readable(self) -> bool:
        """Whether it holds Chinese at all (the only language the guides are in)."""
        return bool(_HAN.search(self.text))


# what a thing to bring follows ("要带户口本不"), or is asked whether it needs ("户口本要带吗")
_CARRY = "带|交|提供|提交|拿|准备|携带"
_CARRIED_BY = re.compile(rf"({_CARRY})(上|好)?$")
_ASKED_TO_BRING = re.compile(rf"^(还|也)?((要|需要|得|用)(不要|不用)?({_CARRY})?|({_CARRY}))(上|好)?(吗|不|么|嘛)?$")
# ... or asked whether it is needed, the question ending with it ("需要居住证吗", "还要户口本不")
_NEEDED_BY = re.compile(r"(要|需要|得|用)$")
_NEEDED = re.compile(r"^(吗|不|么|嘛)?$")


def subject_words(words: Sequence[str], stop_words: frozenset[str]) -> list[str]:
    """Of a question's ``words`` (its content, or the words of its ask), those of two characters or more that name a
    subject (not 没有, 可以: ``stop_words``), once each, in the order written."""
    return [w for w in dict.fromkeys(words) if len(w) >= 2 and w not in stop_words]


def carried_words(question: Question) -> set[str]:
    """The words of a question that name a thing to bring, not what it is about: the object of 带 / 交 / 提供 …
    ("要带户口本不", "需要提供身份证吗"), or a thing asked whether it is needed ("户口本要带吗", "户口本需要吗",
    "需要居住证吗").
    In a conversation about 结婚登记 these ask about its materials; "离婚要带什么" is about 离婚."""
    text = question.text
    carried = set()
    for word in question.content:
        at = text.find(word)
        while at >= 0:
            before, after = text[:at], text[at + len(word) :]
            if (
                _CARRIED_BY.search(before)
                or (after and _ASKED_TO_BRING.match(after))
                or (_NEEDED_BY.search(before) and _NEEDED.match(after))
            ):
                carried.add(word)
                break
            at = text.find(word, at + 1)
    # jieba's search mode gives the parts of a word as words too (户口, 户口簿): a part of a thing to bring is one
    return carried | {word for word in question.content if any(word in whole for whole in carried)}


# where one's household is registered, told as who one is ("我们都是外地户口", "户口在老家", "集体户口"): the
# person's situation in a conversation about any service, not the household registration as a subject
_REGISTERED = re.compile(
    r"(?:外地|外省|省外|本地|本市|当地|老家|农村|城镇|集体|异地|京籍|外籍|非本市|非京籍?)(?:的)?(?:户口|户籍)"
    r"|(?:户口|户籍)(?:都|也|还)?(?:在|不在|是)"
)


def registered_words(question: Question) -> set[str]:
    """The words of a question that only tell where the person's household is registered (户口 in "我们俩都是外地
    户口，可以在这边办吗"): in a conversation about 结婚登记 it asks about 结婚登记, not about 户口迁移."""
    return words_inside(question.text, question.content, _REGISTERED)


class Pipeline(Protocol):
    """An index's element / mention / scope pipeline over normalised text (``nlu.reader.ElementReader``)."""

    def __call__(self, text: str, *, element: bool = True) -> Analysis: ...


class Analyser(Protocol):
    """Reads a message into a :class:`Question`."""

    def run(self, query: str) -> Question: ...


def question_words(segmenter: Segmenter, domain: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words of asking: every token of the element templates, less the domain's words.

    Args:
        segmenter: the index's segmenter.
        domain: words that are content even where a template uses them (names, aliases, materials: 身份证,
            户口簿); the lexicon's words of asking (多少钱, 怎么办: ``words`` and ``generic``) stay question words.
    """
    templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
    words: set[str] = set()
    for patterns in templates.values():
        for pattern in patterns:
            words.update(tokens(pattern.replace("{x}", " "), segmenter))
    return frozenset(words - (domain - asking_lexicon()))


@functools.lru_cache(maxsize=1)
def asking_lexicon() -> frozenset[str]:
    """The lexicon's words of asking and family words (``words`` and ``generic``: 多少钱, 条件, 孩子): never what a
    message is about, read once."""
    lexicon = load_lexicon()
    return frozenset(lexicon.get("words", [])) | frozenset(lexicon.get("generic", []))


CUE = 1500  # times jieba's dictionary counts a word at most for it to tell a sentence (可以 70,958; 加急 42)


def cue(word: str, segmenter: Segmenter) -> bool:
    """Whether a word the element templates use may still tell which sentence of a guide answers: two characters
    or more, rarer than CUE in everyday Chinese (not 可以, 这种, 听说, 处理), none of the lexicon's words of asking
    or family words (条件, 材料, 孩子), none that asks a kind of answer itself (多久): 加急, 登报, 代办, 户头."""
    return (
        len(word) >= 2
        and word not in asking_lexicon()
        and not answer_types(word)
        and everyday_count(segmenter, word) < CUE
    )


class QuestionAnalyser:
    """Normalises a message and reads it with the index's pipeline and segmenter.

    Args:
        normalise: the index's normaliser.
        analyse: the index's element / mention / scope pipeline, over normalised text.
        segmenter: the index's segmenter.
        question_words: see :func:`question_words`.
        uncovered: services the catalogue lacks (``catalogue.yaml``'s ``uncovered``): a question about one is
            refused naming it, not answered with a neighbouring item (工作居住证 is not 居住证申领).
        short_names: formal names without the act they end with, normalised, that name one entry alone
            (食品经营许可证 -> the id of 食品经营许可证核发; see :func:`assistant.retrieval.index.short_names`): a
            message writing one as a word names that entry, as its name or an alias would.
    """

    def __init__(
        self,
        normalise: Callable[[str], str],
        analyse: Pipeline,
        segmenter: Segmenter,
        question_words: frozenset[str],
        uncovered: Sequence[str] = (),
        short_names: Mapping[str, str] | None = None,
    ):
        self.normalise = normalise
        self.analyse = analyse
        self.segmenter = segmenter
        self.question_words = question_words
        # normalised phrase -> the phrase as the catalogue writes it, longest first
        found = {normalise(phrase): phrase for phrase in uncovered}
        self.uncovered = dict(sorted(((k, v) for k, v in found.items() if k), key=lambda kv: -len(kv[0])))
        # each phrase's words, to find them apart ("机动车 … 变更登记")
        self._parts = {phrase: [w for w in segmenter.lcut(phrase) if w.strip()] for phrase in self.uncovered}
        self.short_names = dict(short_names or {})
        self._shorts: dict[str, list[str]] = {}  # first two characters -> the short names they begin, longest first
        for short in sorted(self.short_names, key=len, reverse=True):
            self._shorts.setdefault(short[:2], []).append(short)

    @classmethod
    def for_index(cls, index: Index) -> QuestionAnalyser:
        """The analyser of a loaded index."""
        domain = frozenset(index.normaliser.vocabulary)
        return cls(
            index.normaliser,
            index.pipeline.analyse,
            index.segmenter,
            question_words(index.segmenter, domain),
            index.uncovered,
            index.short_names,
        )

    def run(self, query: str) -> Question:
        """Read one message (any length, any script; never raises for odd input).

        A message (see :mod:`assistant.qa.message`) that is long, asks several things or carries a salutation,
        closing formula or masks is read without them, its first ask in front of its story: the subject is looked
        for in both, the element asked and the answer expected in the first ask alone.
        """
        message = read_message(query)
        asked: list[str] | None = None  # the tokens of the first ask, when cut apart from the text's
        bare = False  # the first ask names nothing ("……不服的，怎么办？"): what it asks is read in the story too
        told = False  # read as a message with a story, not as a question typed into a search box
        if not message.text or (not message.long and len(message.asks) <= 1 and message.text == query.strip()):
            # a plain question, as typed into a search box, or a greeting alone: read as it is
            question = self._read(query, self.normalise(query))
            named, words = query, question.content
        else:
            told = True
            separate = bool(message.asks) and len(message.asks[0].text) < len(message.focus)
            question = self._read(query, self.normalise(message.focus), message, element=not separate)
            named, words = message.focus, question.content
            if separate:
                ask = self.normalise(message.asks[0].text)
                question = replace(question, element=self.analyse(ask).element if _HAN.search(ask) else None)
                asked = tokens(ask, self.segmenter)
                ask_words = [t for t in asked if t not in self.question_words]
                # the service asked about is named in the ask, or, where the ask names nothing ("请问需要什么条件"),
                # in the story before it
                if ask_words:
                    named, words = message.asks[0].text, ask_words
                bare = not ask_words
        # the kind of answer is read in the normalised words, as the rest is ("領失業金嗎", "要化钱吗")
        kind = answer_type(self._clauses(message.asks[0].text), question.element) if message.asks else None
        if kind is None and bare:
            kind = answer_type(self._clauses(message.focus), question.element)
        element = element_for(kind, question.element, told=told)
        if element == "contact" and kind in (None, "yes_no", "eligibility") and not asks_contact(query):
            # no one to contact is written of: whether (the conditions) or how (the steps)
            element = "process" if kind is None else "conditions"
        if element in (None, "basis") and asks_policy(message.asks[0].text if message.asks else query):
            element = "conditions"  # 幼升小的政策: who may, on what terms
        # a wish that a service could be done elsewhere or online asks where (the guide's 通办范围 first), or whether
        # online, it may be done
        wish = wished(query, [ask.text for ask in message.asks] or [query])
        if wish is not None:
            element = wish
            if wish == "location":
                kind = "elsewhere"
        # the BM25 tokens of the (first) ask, where its cue words are looked for: cut once where they are the text's
        first = self.normalise(message.asks[0].text) if message.asks else question.text
        if asked is None:
            asked = question.words if first == question.text else tokens(first, self.segmenter)
        return replace(
            question,
            element=element,
            # what the catalogue lacks is told by its names and aliases alone: a story's 失业保险金 (a short name)
            # does not make "领过失业保险金，想了解积分落户什么时候申报" about the catalogue
            lacking=self._lacking(self._clauses(named), question),
            mentions=self._named_short(question.text, question.mentions),
            answer_type=kind,
            ask_words=words,
            ask_cues=[w for w in asked if w in self.question_words and cue(w, self.segmenter)],
        )

    def _clauses(self, text: str) -> str:
        """``text`` normalised clause by clause, its punctuation kept: what is asked is read within a clause
        ("我在这边打工才三个月，能办居住证不" does not ask whether it may be done here)."""
        return _CLAUSE.sub(lambda clause: self.normalise(clause.group()), text)

    def _named_short(self, text: str, mentions: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The mentions, with the entries ``text`` names by a short name written as a word of its own ("申请食品经营
        许可证材料交上去以后": 食品经营许可证核发; "临时救助站在哪" names no 临时救助申请), longest first."""
        named = {entry for entry, _ in mentions}
        found = [
            (short, at)
            for at in range(len(text) - 1)
            for short in self._shorts.get(text[at : at + 2], ())
            if text.startswith(short, at) and self.short_names[short] not in named
        ]
        if not found:
            return mentions
        edges, end = {0}, 0  # where the index's jieba cuts the text (the cut the reader made of it, remembered)
        for word in cut(self.segmenter, text):
            end += len(word)
            edges.add(end)
        more = [(self.short_names[short], short) for short, at in found if at in edges and at + len(short) in edges]
        return sorted([*mentions, *dict.fromkeys(more)], key=lambda mention: -len(mention[1])) if more else mentions

    def _lacking(self, ask: str, question: Question) -> str | None:
        """The service the catalogue lacks that ``ask`` (normalised clause by clause) names, unless the ask also
        names one of the catalogue's outside that phrase (工作居住证 holds 居住证: lacking; "有工作居住证，孩子小学报名
        要带什么" names 小学报名 too: not lacking); one the story names is what happened ("孩子协议离婚归男方……请问
        是否可以申请宅基地？": 宅基地 is lacking). A phrase in a reason the person gives ("由于幼儿园期间多生病，想办理
        延缓入学") is background, not what is asked, and so is one in a clause telling what has happened ("孩子幼儿园
        毕业了，上小学要带什么材料"), unless the rest is too short to ask about anything else ("听说有工作居住证了，
        怎么申请")."""
        rest = _PUNCTUATION.sub("", _DONE.sub("", ask))
        ask = _REASON.sub("", rest if len(rest) >= ASKED else _PUNCTUATION.sub("", ask))
        for phrase, name in self.uncovered.items():
            span = phrase if phrase in ask else self._spread(phrase, ask)
            if span:
                named = [mention for _, mention in question.mentions if mention in ask]
                return name if all(mention in span for mention in named) else None
        return None

    def _spread(self, phrase: str, ask: str) -> str | None:
        """The span of ``ask`` that holds the words of ``phrase`` in order with a few words between them
        ("机动车有哪些情形必须办理变更登记" holds 机动车 … 变更登记), or None."""
        parts = self._parts[phrase]
        if len(parts) < 2 or any(len(part) < 2 for part in parts):
            return None  # a single character (公 of 公租房) is part of too many other words
        start = ask.find(parts[0])
        while start >= 0:
            at = start + len(parts[0])
            for part in parts[1:]:
                at = ask.find(part, at)
                if at < 0:
                    return None
                at += len(part)
            if at - start <= len(phrase) + SPREAD:
                return ask[start:at]
            start = ask.find(parts[0], start + 1)
        return None

    def _read(self, query: str, text: str, message: Message | None = None, *, element: bool = True) -> Question:
        if not _HAN.search(text):
            return Question(query=query, text=text)
        analysis = self.analyse(text, element=element)
        words = tokens(text, self.segmenter)
        return Question(
            query=query,
            text=text,
            words=words,
            content=[t for t in words if t not in self.question_words],
            element=analysis.element,
            mentions=analysis.mentions,
            out_of_scope=analysis.out_of_scope,
            asks=message.asks if message else [],
        )
