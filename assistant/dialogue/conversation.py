"""Conversation services the dialogue's actions call: answer a turn in context, walk a scenario tree, hand over
the 一次性告知单. Pure Python over the knowledge; no Rasa, no HTTP (actions translate to and from events).

Example:
    >>> from assistant.serving.knowledge import KnowledgeHolder
    >>> k = KnowledgeHolder.open().current
    >>> turn = answer_turn(k, "结婚登记要带什么", context_item=None)
    >>> turn.answer.item, turn.answer.offer_checklist
    ('内地居民结婚登记', True)
    >>> next_step(k, "marriage-registration", {"previous_marriage": "yes"}).question.text
    '上一段婚姻是怎么结束的？'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.qa import Answer
from assistant.serving.knowledge import Knowledge
from knowledge.checklist import Notice, PendingQuestion, build_notice, questions_of
from knowledge.render import without_markers
from nlu.options import Choice, match_options

# a message this long or longer is not a follow-up ("那换领呢"), it says what it is about itself
_FOLLOW_UP = re.compile(r"^(那|那么|那个|还有|如果|要是)?.{0,8}(呢|吗|么)?[？?。!！]*$")


@dataclass
class Turn:
    """What the assistant says to one question: the answer, and what the conversation is now about.

    What a channel renders its own way is the answer's data: ``answer.choices`` (a clarifying question's
    entries) and ``answer.offer_checklist``. In a conversation the offer is made only when the entry has scenario
    questions to ask (:func:`has_questions`, a bundle through its members), so accepting it starts a real
    question-and-answer checklist.
    """

    answer: Answer
    entry_id: str | None  # the item or bundle now being talked about


def has_questions(knowledge: Knowledge, entry_id: str) -> bool:
    """True when the item (or a member of the bundle) has scenario questions."""
    entry = knowledge.catalogue.get(entry_id)
    return entry is not None and bool(questions_of(knowledge.catalogue, entry))


def answer_turn(knowledge: Knowledge, text: str, context_item: str | None, lacking: str | None = None) -> Turn:
    """Answer one message in the conversation's context.

    Args:
        knowledge: the current knowledge.
        text: the person's message.
        context_item: id of the item or bundle talked about so far, if any ("那要多少钱？" is about it).
        lacking: the service the catalogue lacks that the conversation was last about, when no item is
            ("要带什么材料" after "电动自行车上牌去哪里办" is about that service, refused again by name).
    """
    catalogue = knowledge.catalogue
    context = catalogue.get(context_item) if context_item else None
    answer = knowledge.qa.ask(text, context_item=context.name if context else None, context_lacking=lacking)
    family = catalogue.family(context.name) if context is not None else ""
    if (
        context is not None
        and family
        and answer.kind == "answer"
        and not (answer.item or "").startswith(family)
        and _FOLLOW_UP.match(text.strip())
    ):
        # "那换证呢" after 居民身份证首次申领 is 居民身份证换领, though 换证 ends 机动车驾驶证期满换证: a short follow-up
        # that the family's name makes about another of the family is about that one
        member = knowledge.qa.ask(f"{family}{text}", context_item=None)
        if member.kind == "answer" and member.item_id != context.id and (member.item or "").startswith(family):
            answer = member
    if context is not None and answer.kind in ("out_of_scope", "clarify"):
        # "那换领呢" after 居民身份证首次申领: the same family with another word; or a new subject altogether
        alternatives = [f"{_stem(context.name)}{text}"] if _FOLLOW_UP.match(text.strip()) else []
        for query in [*alternatives, text]:
            alternative = knowledge.qa.ask(query, context_item=None)
            if query in alternatives and alternative.item_id == context.id:
                # the family's name alone found the item talked about: the words added ("今天天气怎么样") say
                # nothing of it, or the question in context would have been answered
                continue
            if alternative.kind == "answer":
                answer = alternative
                break
            if alternative.kind == "clarify" and alternative.candidates and answer.kind == "out_of_scope":
                answer = alternative
    entry = catalogue.get(answer.item_id) if answer.item_id else None
    offer = entry is not None and answer.offer_checklist and has_questions(knowledge, entry.id)
    return Turn(
        answer=answer.model_copy(update={"offer_checklist": offer}),
        entry_id=entry.id if entry else (context.id if context and answer.kind == "clarify" else None),
    )


_CHECKLIST_WORDS = re.compile(
    r"^(我要办|我要|我想|帮我|给我|请|麻烦你?|按我的情况)*(生成|列|开|出|打印|做|要)?(一下|一个|一份|个|份)?"
    r"|[，,]?(帮我|给我)?(生成|列|开|出|打印|做|要)?(一下|一个|一份|个|份)?(个性化的|我的)?"
    r"(材料清单|一次性告知单|告知单|清单|材料单)(帮我列一下|吧|呢)?$"
)


def checklist_subject(text: str) -> str:
    """What a checklist request is about: "帮我生成护照的材料清单" -> "护照"."""
    return _CHECKLIST_WORDS.sub("", text.strip()).strip(" ，,。").removesuffix("的")


def answer_about(knowledge: Knowledge, entry_id: str, element: str | None, *, whole: bool = False) -> Turn:
    """Answer about a chosen item: its element or its overview, in short with the follow-up buttons (a
    clarifying question's button), or the whole element (``whole``: a follow-up button asked for it)."""
    from assistant.qa.compose import brief, compose, follow_ups, offers_checklist

    entry = knowledge.catalogue.get(entry_id)
    if entry is None:
        raise KeyError(entry_id)
    replies = knowledge.qa.replies
    text = compose(entry, element, replies)
    answer = Answer(
        query=entry.name,
        item=entry.name,
        item_id=entry.id,
        version=entry.version,
        element=element,
        answer=text,
        brief=text if whole else brief(entry, element, replies),
        more=follow_ups(entry, element, replies, whole=whole),
        confidence=1.0,
        candidates=[],
        kind="answer",
        offer_checklist=offers_checklist(entry) and has_questions(knowledge, entry.id),
    )
    return Turn(answer=answer, entry_id=entry.id)


def _stem(name: str) -> str:
    """The family part of a name: 居民身份证首次申领 -> 居民身份证, 普通护照签发 -> 普通护照."""
    return re.sub(r"(首次申领|申领|换领|补领|签发|补发|换发|登记|办理|申请)$", "", name) or name


@dataclass
class Step:
    """Where a checklist conversation stands: the next question to ask, or the finished notice."""

    notice: Notice
    question: PendingQuestion | None
    asked: int  # questions answered so far

    @property
    def done(self) -> bool:
        return self.question is None

    @property
    def total(self) -> int:
        """How many questions in all for the answers so far (an answer may open a follow-up question)."""
        return self.asked + len(self.notice.pending)


def next_step(knowledge: Knowledge, entry_id: str, answers: Mapping[str, str | list[str]]) -> Step:
    """The next question of an item's or bundle's scenario tree for these answers (follow-ups only after the
    option that opens them), or the finished notice.

    Raises:
        KeyError: unknown entry.
        knowledge.checklist.AnswerError: an answer names an unknown question or option.
    """
    notice = build_notice(knowledge.catalogue, entry_id, answers)
    question = notice.pending[0] if notice.pending else None
    return Step(notice=notice, question=question, asked=len(notice.answers))


def notice_in_chat(knowledge: Knowledge, notice: Notice) -> str:
    """The notice as the chat gives it: in short (every material by name, where to go), a pointer to its page for
    the rest, and the fictional-region marker once."""
    replies = knowledge.qa.replies
    text, marked = without_markers(notice.summary())
    text += "\n" + replies("notice_summary_more")
    return text + ("\n" + replies("fictional_once") if marked else "")


def understand_answer(question: PendingQuestion, text: str, option: str | None = None) -> list[str] | None:
    """The option ids a message chooses for the question being asked (a button's option id wins), or None."""
    choice = Choice.of(question)
    if option is not None and option in {o.id for o in question.options}:
        return [option]
    return match_options(choice, text)


def record(answers: Mapping[str, str | list[str]], question: PendingQuestion, chosen: list[str]) -> dict:
    """Answers plus this one (a single choice is stored as its option id, a multiple choice as a list)."""
    return {**answers, question.id: chosen if question.multiple else chosen[0]}


def go_back(answers: Mapping[str, str | list[str]]) -> dict:
    """Answers without the last one given (the question will be asked again)."""
    keys = list(answers)
    return {k: answers[k] for k in keys[:-1]}
