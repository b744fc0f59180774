"""Question answering: from an everyday question to the right guide element, answered from the guide's text.

The one service that the command line, ``POST /api/v1/ask``, the dialogue and WeChat call. A question goes
analyse -> retrieve -> score -> decide -> compose, each step a method with typed results, so any step can be
run (and tested) alone.

Example:
    >>> qa = QuestionAnswerer.from_index(index)  # doctest: +SKIP
    >>> qa.ask("领结婚证要带啥").item  # doctest: +SKIP
    '内地居民结婚登记'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, model_validator

from assistant.qa.analysis import (
    Analyser,
    Question,
    QuestionAnalyser,
    carried_words,
    registered_words,
    subject_words,
)
from assistant.qa.compose import ELEMENT_NAMES, FollowUp, brief, compose, follow_ups, offers_checklist, read_story
from assistant.qa.decision import CHAT, EVERYDAY, Decider, Decision, Kind, Thresholds, for_operators
from assistant.qa.message import MAX_ASKS, PLACE_WORDS, asking_words, asks_penalty, holds, waits_on_office
from assistant.qa.passages import FACTS, Passage, best_passage, law_behind, passages, telling_topic, time_limit, topical
from assistant.qa.ranking import CANDIDATES, Ranker, Retriever, Scored, Signals, mention_weights
from assistant.replies import Replies
from assistant.retrieval.types import Hit
from knowledge.schema import Bundle, Item
from nlu.segmenter import everyday_count, names_a_thing

if TYPE_CHECKING:
    from assistant.retrieval.index import Index

# words of its own (naming a subject) that a follow-up writes and the conversation's guide never uses, from which it
# is a question of its own when they weigh more than the rest (replaying the development splits' short questions in
# a conversation, `python -m assistant.evaluation.follow_ups`: out of scope answered 198 -> 149 of 848, in scope
# right in their own item's context 706 -> 704 of 721, in another entry's 655 -> 670; two such words: 124, 700, 680,
# and short follow-ups like "在外地买房能取吗" after 住房公积金提取 refused. With spaCy given the same cut, 145, 704,
# 670)
NEW_WORDS = 3
_STORIED = FACTS | {"yes_no", "eligibility"}  # asks whose lead the story's words may find
_NUMBER = re.compile(r"[\d零一二三四五六七八九十百千万两]")  # 五年, 一件事: how much or how many, not a thing


def _holds_ask(item: Item, passage: Passage, question: Question) -> bool:
    """Whether a passage holds a word of the question's ask (two characters or more) that is no part of the item's
    name or aliases."""
    naming = [item.name, *item.aliases]
    text = passage.match or passage.text
    return any(
        len(word) >= 2 and word in text and not any(word in name for name in naming) for word in question.ask_words
    )


class Candidate(BaseModel):
    """A possible item or bundle with its fused score (0..1)."""

    name: str
    score: float


class Choice(BaseModel):
    """An entry a clarifying question offers (a channel shows it as a button or a numbered option)."""

    id: str
    name: str


class Answer(BaseModel):
    """The answer contract other parts rely on.

    ``answer`` is the whole text (the command line and the API give it); ``brief`` the first chat bubble (the
    direct answer, with its citation in one line), ``more`` the buttons that bring the rest on demand. What a
    channel renders its own way comes as data: ``offer_checklist`` (the entry has a personalised 一次性告知单
    worth offering), ``choices`` (a clarifying question's entries) and ``more``.
    """

    query: str
    item: str | None
    element: str | None
    answer: str
    confidence: float
    candidates: list[Candidate]
    kind: Kind
    item_id: str | None = None
    version: str | None = None
    offer_checklist: bool = False
    choices: list[Choice] = []
    parts: list[Answer] = []  # the answers to a message's further asks (its text holds them all, in order)
    story: dict[str, str | list[str]] = {}  # scenario answers the message told (question id -> option id or ids)
    lacking: str | None = None  # the service the catalogue lacks that a refusal names (工作居住证)
    brief: str = ""  # the first chat bubble (a refusal or a clarifying question: the answer itself)
    more: list[FollowUp] = []  # the rest on demand: the whole element asked, the other elements

    @model_validator(mode="after")
    def _brief_defaults_to_answer(self) -> Answer:
        if not self.brief:
            self.brief = self.answer
        return self


class QuestionAnswerer:
    """Finds the item and element a question is about and answers from the guide.

    Args:
        analyser: reads a message into a :class:`~assistant.qa.analysis.Question`.
        bm25: the lexical retriever.
        dense: the embedding retriever.
        ranker: fuses their hits (it knows the entries' names, priors and naming tokens).
        entries: the guides, by position (read when an answer quotes one).
        ids: each entry's id, by position.
        replies: the assistant's own sentences.
        thresholds: decision thresholds (defaults measured on the development splits).
        stop_words: words that name no subject (the index's: see :attr:`~assistant.retrieval.index.Index.stop_words`).
        everyday: how often jieba's own dictionary counts a word (the index's segmenter's: see
            :func:`nlu.segmenter.everyday_count`).
    """

    def __init__(
        self,
        analyser: Analyser,
        bm25: Retriever,
        dense: Retriever,
        ranker: Ranker,
        entries: Sequence[Item | Bundle],
        ids: Sequence[str],
        replies: Replies,
        thresholds: Thresholds | None = None,
        stop_words: frozenset[str] = frozenset(),
        everyday: Callable[[str], int] = lambda word: 0,
    ):
        self.analyser = analyser
        self.bm25 = bm25
        self.dense = dense
        self.ranker = ranker
        self.entries = entries
        self.ids = ids
        self.positions = {entry_id: i for i, entry_id in enumerate(ids)}
        self.replies = replies
        self._passages: dict[int, tuple[Passage, ...]] = {}  # per entry position, cut when first answered from
        self._texts: dict[int, str] = {}  # per entry position, the words of its passages (see _within)
        self.decider = Decider(
            ranker.names,
            ranker.uses,
            thresholds,
            lambda word: ranker.naming.document_frequency.get(word, 0),
            stop_words,
            everyday,
            self._writes,
            frozenset(i for i, e in enumerate(entries) if isinstance(e, Item) and for_operators(e)),
            names_a_thing,
            ranker.parts,
        )

    @classmethod
    def from_index(cls, index: Index, thresholds: Thresholds | None = None) -> QuestionAnswerer:
        """The answerer over a loaded index, speaking with its catalogue's contacts."""
        return cls(
            QuestionAnalyser.for_index(index),
            index.bm25,
            index.dense,
            Ranker(index.names, index.priors, index.naming, stop_words=index.stop_words),
            index.entries,
            index.ids,
            Replies.load(index.contacts),
            thresholds,
            index.stop_words,
            functools.partial(everyday_count, index.segmenter),
        )

    @property
    def thresholds(self) -> Thresholds:
        return self.decider.thresholds

    def prepare(self) -> None:
        """Do now what the first follow-up that names a thing of another guide's would otherwise wait for: every
        guide's passages cut and jieba's parts of speech read (0.2 s at 2,336 entries). A serving process calls it
        when its knowledge loads (:func:`assistant.serving.knowledge.load_knowledge`), so no person waits for it."""
        names_a_thing("")
        _ = self._guides

    def analyse(self, query: str) -> Question:
        """Read a message (any length, any script; never raises for odd input)."""
        return self.analyser.run(query)

    def retrieve(self, question: Question) -> Signals:
        """The retrievers' hits and the mentions of a readable question."""
        return Signals(
            bm25=self.bm25.search(question.text, CANDIDATES),
            dense=self.dense.search(question.text, CANDIDATES),
            mentioned=mention_weights(question.mentions, self.positions),
        )

    def score(self, question: Question, signals: Signals, context_item: str | None = None) -> Scored:
        """The best entries and the features the confidence is computed from."""
        return self.ranker.score(question, signals, context_item)

    def decide(self, question: Question, scored: Scored, *, in_context: bool = False) -> Decision:
        """Answer, clarify or refuse."""
        return self.decider.decide(question, scored, in_context=in_context)

    def ask(self, query: str, *, context_item: str | None = None, context_lacking: str | None = None) -> Answer:
        """Answer one message: its first ask, and up to MAX_ASKS asks in all, each with its own citation, in
        ``Answer.parts`` and one text (the item, element and kind are the first ask's).

        Args:
            query: the message as typed (any length, any script; never raises for odd input).
            context_item: the name of the item of the conversation so far, used when the question names none
                ("那要多少钱？").
            context_lacking: the service the catalogue lacks that the conversation was last about, when no item
                is: a question naming nothing ("要带什么材料") is refused naming it again, not asked "which item?".
        """
        question = self.analyse(query)
        first = self._answer(question, context_item, context_lacking)
        if len(question.asks) < 2:
            return first
        # several asks in one message: each answered in order, in the context of the first one's item
        context = first.item if first.kind == "answer" else context_item
        parts: list[Answer] = []
        for ask in question.asks[1:MAX_ASKS]:
            asked = self.analyse(ask.text)
            part = self._answer(asked, context, further=True)
            if self._covered(first, asked, part):
                continue
            if part.answer != first.answer and all(part.answer != p.answer for p in parts):
                parts.append(part)
        if not parts:
            return first
        answers = [first, *parts]
        text, short = (
            "\n\n".join(f"{self.replies('ask_number', number=n)}\n{getattr(a, form)}" for n, a in enumerate(answers, 1))
            for form in ("answer", "brief")
        )
        return first.model_copy(update={"answer": text, "brief": short, "parts": parts})

    def _covered(self, first: Answer, question: Question, part: Answer) -> bool:
        """A further ask of a message whose first ask was refused is about the same subject unless it names one of
        its own, and the first refusal answers it: "电动自行车上牌去哪里办？要带什么材料？收费吗？" is refused once, as
        the service the catalogue lacks, neither followed by "请问您想了解哪个事项的申请材料？" nor "收费吗？" answered
        from a guide that happens to rank first alone ("驾驶证增驾需要什么条件？去哪里报名？" is not about school
        places). A subject of its own is another service the catalogue lacks, two entries to choose from, an
        entry's name ("小学报名要带什么？"), or two words of the answering entry's names, aliases and FAQ, not all
        everyday ones ("规划" and "建设" of a city's plans do not ask for the planning permit)."""
        if first.kind != "out_of_scope" or question.lacking:
            return False
        if part.kind == "clarify":
            return not part.choices
        if part.kind != "answer":
            return True
        if question.mentions or part.item_id is None:
            return False
        return not self.decider.founded(question, self.positions[part.item_id])

    def _answer(
        self, question: Question, context_item: str | None, lacking: str | None = None, *, further: bool = False
    ) -> Answer:
        if not question.readable:
            return self.compose(question, Decision("empty" if not question.text else "out_of_scope"))
        signals = self.retrieve(question)
        if context_item and not further and self._new_subject(question, context_item):
            # a question of its own in the middle of a conversation ("哪些文物不可以携带出境？" after 住房公积金提取,
            # "因饮酒后或醉酒驾驶被吊销驾驶证能否重新申请？" after 机动车驾驶证补领): read as if asked first; a further
            # ask of one message is about its first ask's subject
            context_item = None
        decision = self.decide(question, self.score(question, signals, context_item), in_context=bool(context_item))
        if lacking and not context_item and decision.kind == "clarify" and not decision.choices:
            # "电动自行车上牌去哪里办" refused, then "要带什么材料": still about the service the catalogue lacks
            return self.compose(
                question, Decision("out_of_scope", decision.confidence, decision.ranked, lacking=lacking)
            )
        if context_item and decision.kind == "out_of_scope" and not decision.lacking:
            # refused in the conversation's context, but clear on its own: a new subject ("社保卡怎么办？" after
            # 出生登记; "那离婚要带什么" switches by a word of the name, this by an alias)
            alone = self.decide(question, self.score(question, signals))
            # ... unless everyday words alone take it there (公司 of "公司裁员了能领吗": not 有限责任公司设立登记), or no word
            # of the question names anything there ("要自己去吗" after 内地居民结婚登记: not 灵活就业人员社会保险参保登记)
            if alone.entry is not None and self.decider.shares_telling_word(question, alone.entry):
                return self.compose(question, alone)
            if question.element is not None or question.answer_type is not None:
                if further:
                    return self._further(question, decision, signals, context_item)
                if self._within(question, context_item) or self._topical(question, context_item):
                    # a returning person's follow-up in the words of the conversation's guide ("需要拍照吗" after
                    # 内地居民结婚登记), or on a topic its guide words otherwise ("我老婆能去补吗" after 居民户口簿补领:
                    # its FAQ on 本户其他人): about it, but a fact only where a sentence of it states that fact
                    return self._further(question, decision, signals, context_item, stated=True)
                if self._bare(question):
                    # ... or in no words of any subject ("要本人去吗"): the element asked answers it, and a fact
                    # still only a sentence stating it ("每个月大概多少钱？" after 失业保险金申领: its FAQ on the standard)
                    return self._further(question, decision, signals, context_item, stated=True, bare=True)
            elif further and self._held(question, signals, context_item):
                # a further ask of one message that asks no element ("这期间要是反悔了咋办？" after an ask about
                # 内地居民离婚登记, "逾期会怎样？"): one message is one subject, so what its guide does not answer is
                # said to be beyond that guide, not beyond the assistant's services
                return self.compose(question, replace(decision, beyond=context_item))
        if self._stated(question, decision):
            decision = Decision("answer", decision.confidence, decision.ranked, entry=decision.ranked[0][0])
        return self.compose(question, decision)

    def _further(
        self,
        question: Question,
        refused: Decision,
        signals: Signals,
        context_item: str,
        *,
        stated: bool = False,
        bare: bool = False,
    ) -> Answer:
        """A further ask of a message that asks something of an element, refused in the context of the first ask's
        entry and unclear alone, is about that entry, one message being one subject ("小孩和大人收费一样吗？",
        "过期会罚款吗？"), when it still ranks first: answered from its guide where the guide has what it asks,
        else said to be beyond that guide. ``stated``: a question about a fact (an amount, a period …) needs a
        sentence of the guide that states it ("契税交多少" is not answered with the registration fee). ``bare``: the
        question names nothing (see :meth:`_bare`), so the element asked is all it can ask of the guide."""
        held = self._held(question, signals, context_item)
        if not held:
            return self.compose(question, refused)
        if not self._found(question, held[0][0], stated=stated, bare=bare):
            # the service is ours, this one fact is not in its guide: not "不在我能解答的范围内"
            return self.compose(question, replace(refused, beyond=context_item))
        return self.compose(question, Decision("answer", refused.confidence, held, entry=held[0][0]))

    def _held(self, question: Question, signals: Signals, context_item: str) -> list[Hit]:
        """The question's ranking when no word of another entry's name takes it away from the conversation's entry
        (see :meth:`~assistant.qa.ranking.Ranker.score`), if that entry still ranks first; else empty."""
        held = self.ranker.score(question, signals, context_item, switch=False).ranked
        return held if held and self.ranker.names[held[0][0]] == context_item else []

    def _within(self, question: Question, context_item: str) -> bool:
        """Whether every word of a question (two characters or more, naming a subject; not one that only says what
        kind of answer is asked, 不服) is a word of the guide of the conversation's item: a follow-up in its words
        ("怎么查询办理进度" after 职工基本养老保险关系转移接续, "需要拍照吗" after 内地居民结婚登记, "不服怎么办") is
        about it, "红烧肉怎么做" is not."""
        found = self._unwritten(question, context_item, question.content)
        return found is not None and bool(self.decider.subject_words(question)) and not found[1]

    def _topical(self, question: Question, context_item: str) -> bool:
        """Whether a follow-up is on a topic the guides word otherwise than people do (see
        :func:`~assistant.qa.passages.topical`) and the guide of the conversation's item has its sentence on it."""
        position = self.ranker.position(context_item)
        return (
            position is not None
            and topical(question.answer_type, question.first_ask)
            and self._lead(position, question) is not None
        )

    def _bare(self, question: Question) -> bool:
        """Whether a follow-up names nothing at all, only asks ("要本人去吗", "必须自己去吗": 本人, 自己 and 必须 name no
        subject) and is no chat: like "那要多少钱", it asks the element of the conversation's item. What to do when
        refused ("被拒了怎么办") is no chat, whatever the scope classifier makes of it."""
        chat = question.out_of_scope >= CHAT and question.answer_type != "remedy"
        return not self.decider.subject_words(question) and not chat

    def _new_subject(self, question: Question, context_item: str) -> bool:
        """Whether a follow-up is a question of its own, not about the conversation's item: it writes NEW_WORDS words
        or more of its own (naming a subject, not the kind of answer asked) that the guide of the conversation's item
        never uses, and those weigh more than the rest; or it names a thing of another guide's that this one never
        writes (see :meth:`_anothers_thing`: "护照有效期几年" after 住房公积金单位缴存登记, "租房合同备案在哪办" after
        印章刻制备案). A follow-up in a word or two the guide lacks ("一年能取几次", "二婚要带什么") stays with it, and so
        does a thing to bring or where one's household is registered ("需要居住证吗", "我们都是外地户口可以在这边办吗").
        A bundle has no guide of its own: a follow-up in its context stays with it."""
        # the words of what is asked: a long follow-up's story ("我们俩都是外地户口，在这边工作好几年了，……请问可以
        # 直接在这边办吗") tells about the person, not about another service
        found = self._unwritten(question, context_item, question.ask_words)
        if found is None or self._topical(question, context_item):
            return False  # (an ask on a topic its guide answers in words of its own: "没还完能再贷第二笔吗")
        words, unwritten = found
        if len(unwritten) >= NEW_WORDS and sum(map(self.ranker.idf, unwritten)) > sum(map(self.ranker.idf, words)) / 2:
            return True
        position = self.ranker.position(context_item)
        told = carried_words(question) | registered_words(question)
        return position is not None and any(
            self._anothers_thing(word, position) for word in unwritten if word not in told
        )

    def _anothers_thing(self, word: str, position: int) -> bool:
        """Whether a word a follow-up writes names a thing of another guide's, not of the conversation's (the entry
        at ``position``): a noun (or a word jieba's dictionary lacks), no number, no place (外地), rarer than an
        everyday word, that the entry's names, aliases and FAQ do not use and that some other guides write, fewer
        than half of them (产权证, 护照, 药店; not 做好, 五年, 家里, nor the 复印件 most guides ask for).
        Replaying the development splits' short questions as follow-ups (`python -m assistant.evaluation.follow_ups`,
        real_dev, dev, dev2 … dev5 and blind2, December 2026): out of scope answered in a context 145 -> 127 of
        1,017; in scope right in another entry's context 1,188 -> 1,200 of 1,289, and in their own item's
        1,260 -> 1,259 (lost: "车管所电化号码" after 机动车注册登记, whose guide writes 车辆管理所).
        """
        if (
            len(word) < 2
            or word in PLACE_WORDS
            or _NUMBER.search(word)
            or not names_a_thing(word)
            or self.decider.everyday(word) >= EVERYDAY
            or self.ranker.uses(position, [word])[0]
        ):
            return False
        # (the conversation's guide never writes it: it is one of the follow-up's unwritten words)
        return 0 < sum(word in text for text in self._guides) < len(self._guides) / 2

    @functools.cached_property
    def _guides(self) -> tuple[str, ...]:
        """The words of every item's guide (its passages), cut once: by :meth:`prepare` in a serving process, else
        when a follow-up first needs to know which guides write a word. Counting the guides that write a word scans
        them all (about 1 ms a word at 2,336 entries)."""
        return tuple(self._text(i) for i, entry in enumerate(self.entries) if isinstance(entry, Item))

    def _unwritten(
        self, question: Question, context_item: str, words: Sequence[str]
    ) -> tuple[list[str], list[str]] | None:
        """Of a question's ``words`` (its content, or its ask's), those naming a subject that do not only say what
        kind of answer is asked, and of them those the guide of the conversation's item never writes; None when
        the item has no guide of its own (a bundle, or no entry of that name)."""
        position = self.ranker.position(context_item)
        if position is None or not isinstance(self.entries[position], Item):
            return None
        words = subject_words(words, self.decider.stop_words)
        asking = asking_words(question.text, words, question.answer_type)
        own = [word for word in words if word not in asking]
        return own, [word for word in own if not self._writes(position, word)]

    def _text(self, position: int) -> str:
        """The words of an item's guide (its passages), kept with them."""
        text = self._texts.get(position)
        if text is None:
            text = self._texts[position] = "".join(p.match or p.text for p in self._cut(position))
        return text

    def _writes(self, position: int, word: str) -> bool:
        """Whether the guide of the entry at ``position`` writes ``word`` (a bundle's, which has no passages of its
        own: taken as yes)."""
        return not isinstance(self.entries[position], Item) or word in self._text(position)

    def _cut(self, position: int) -> tuple[Passage, ...]:
        """The passages of the item at ``position``, cut when first needed."""
        cut = self._passages.get(position)
        if cut is None:
            cut = self._passages[position] = passages(self.entries[position])  # type: ignore[arg-type]
        return cut

    def _found(self, question: Question, position: int, *, stated: bool = False, bare: bool = False) -> bool:
        """Whether the guide has what an ask on its subject asks: the element asked, when it holds that kind of
        answer (or the ask is a how-to), or a sentence that answers it; never "不收费" to how much a benefit pays,
        nor the office's time limit to whether a fine is due. ``stated``: a fact only in a sentence that answers it.
        ``bare``: the ask names nothing (see :meth:`_bare`), so an item's element asked answers anything but a fact
        (a bundle has no elements of its own)."""
        kind = question.answer_type
        if stated and kind in FACTS:
            return self._lead(position, question) is not None
        if bare:
            return isinstance(self.entries[position], Item)
        return kind is None or holds(question.element, kind) or self._lead(position, question) is not None

    def _stated(self, question: Question, decision: Decision) -> bool:
        """A question about a fact that the best guide states in a sentence of its own ("法定结婚年龄是多少": 结婚年龄，
        男不得早于二十二周岁…), though too unlike the guide's names to pass the threshold: answered from it. So is a
        yes-or-no ask on a topic the guide words otherwise ("身份证补好了旧的又找着了还能用不": its FAQ on the old one
        found again; see :func:`~assistant.qa.passages.telling_topic`)."""
        if decision.kind != "out_of_scope" or decision.lacking or not decision.ranked:
            return False
        if question.answer_type not in FACTS and not telling_topic(question.first_ask):
            return False
        top = decision.ranked[0][0]
        if self._fined(question, top):
            # what the law does to one who fails, asked of a guide the question shares two words with ("拖着不过户会被
            # 罚款吗？罚多少？", 0.14): a message telling a story in its own words is far from any guide's names, yet
            # the sentence of the law stating the fine on the ask's words answers it
            return decision.confidence >= self.thresholds.fined and self._lead(top, question) is not None
        if decision.confidence < self.thresholds.stated:
            return False
        return self._lead(top, question, strict=True) is not None

    def _fined(self, question: Question, position: int) -> bool:
        """Whether a question asks, in a clause that asks something, what the law does to one who fails, of an entry
        it shares two words with (not everyday ones; see :meth:`~assistant.qa.decision.Decider.founded`)."""
        return (
            question.answer_type == "penalty"
            and asks_penalty(question.first_ask)
            and self.decider.founded(question, position)
        )

    def _lead(self, position: int, question: Question, *, strict: bool = False) -> Passage | None:
        """The passage of entry ``position`` that answers the question's (first) ask (see assistant.qa.passages)."""
        entry = self.entries[position]
        if not isinstance(entry, Item):
            return None
        cut = self._cut(position)
        lead = best_passage(
            entry,
            question.ask_words,
            question.answer_type,
            cut,
            question.element,
            strict=strict,
            stated=question.first_ask,
            telling=question.ask_cues,
        )
        if lead is None and not strict and question.answer_type in _STORIED and question.content != question.ask_words:
            # the ask's own words are too few to tell a sentence ("现在能提前去换吗"); the story says what of the
            # guide it is about ("身份证还有两个月就到期了": the sentence on 有效期满前三个月). A yes-or-no ask is
            # about what it writes itself: the passage the story finds must hold a word of the ask's that does not
            # only say which service ("能不能只给儿子一个人办低保": the FAQ on 只给他一个人办低保; not, for "办过户的时候
            # 要不要把车开过去让你们验", the FAQ on where a second-hand car 过户 may be done)
            # (to a yes-or-no ask, only the story's words the guide writes: 工地, 打工 of "我前几年在工地打工，驾照过期快
            # 两年了" tell no sentence from another, yet would weigh most, no sentence holding them; a fact asked keeps
            # them all, lest any sentence the story's words find stand before the element that states the fact)
            told = question.content
            if question.answer_type not in FACTS:
                told = [word for word in told if self._writes(position, word)]
            found = best_passage(entry, told, question.answer_type, cut, question.element)
            if found is not None and (question.answer_type in FACTS or _holds_ask(entry, found, question)):
                lead = found
        if lead is None and not strict and self._waits(question):
            # how long the office takes, asked with another element's words ("网上提交以后多少天内会作出决定",
            # read as online): its time limit answers it, before the element asked
            return time_limit(entry, cut)
        return lead

    @staticmethod
    def _waits(question: Question) -> bool:
        return (
            question.answer_type == "duration"
            and question.element != "time_limit"
            and waits_on_office(question.first_ask)
        )

    def compose(self, question: Question, decision: Decision) -> Answer:
        """The answer for a decision: the guide's element, the clarifying question or the refusal."""
        candidates = [
            Candidate(name=self.ranker.names[i], score=self.ranker.share(score)) for i, score in decision.ranked
        ]
        if decision.kind == "empty":
            return Answer(
                query=question.query,
                confidence=decision.confidence,
                candidates=candidates,
                item=None,
                element=None,
                kind="empty",
                answer=self.replies("empty"),
            )
        if decision.kind == "out_of_scope":
            if decision.lacking:
                text = self.replies("not_covered", service=decision.lacking)
            elif decision.beyond:
                text = self.replies("not_in_guide", item=decision.beyond)
            else:
                text = self.replies("out_of_scope")
            if not question.readable:
                text += self.replies("out_of_scope_english")
            return Answer(
                query=question.query,
                confidence=decision.confidence,
                candidates=candidates,
                item=None,
                element=None,
                kind="out_of_scope",
                answer=text,
                lacking=decision.lacking,
            )
        if decision.kind == "clarify":
            if len(decision.choices) > 2:
                text = self.replies("which_of_several")
            elif decision.choices:
                first, second = (self.ranker.names[i] for i in decision.choices[:2])
                text = self.replies("which_of_two", first=first, second=second)
            else:
                what = f"的{ELEMENT_NAMES[question.element]}" if question.element else ""
                text = self.replies("which_item", what=what)
            return Answer(
                query=question.query,
                confidence=decision.confidence,
                candidates=candidates,
                item=None,
                element=question.element,
                kind="clarify",
                answer=text,
                choices=[Choice(id=self.ids[i], name=self.ranker.names[i]) for i in decision.choices],
            )
        assert decision.entry is not None
        entry = self.entries[decision.entry]
        story = read_story(entry, question.query, question.text) if isinstance(entry, Item) and entry.scenario else {}
        lead = self._lead(decision.entry, question)
        return Answer(
            query=question.query,
            confidence=decision.confidence,
            candidates=candidates,
            item=entry.name,
            item_id=entry.id,
            version=entry.version,
            element=question.element,
            kind="answer",
            answer=compose(
                entry,
                question.element,
                self.replies,
                lead,
                story,
                lead_first=question.answer_type in FACTS,
                law=law_behind(entry, question.answer_type, lead) if isinstance(entry, Item) else None,
            ),
            brief=brief(entry, question.element, self.replies, lead, story),
            more=follow_ups(entry, question.element, self.replies),
            offer_checklist=offers_checklist(entry),
            story=story,
        )
