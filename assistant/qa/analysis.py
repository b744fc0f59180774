"""Question analysis: what a message says, read once: its normalised text, its words, which of them say what
it is about, the element asked, the entries it names and how likely it is about no service at all.

Example:
    >>> analyser = QuestionAnalyser.for_index(index)  # doctest: +SKIP
    >>> question = analyser.run("結昏證要帶啥")  # doctest: +SKIP
    >>> question.text, question.element, question.content  # doctest: +SKIP
    ('结婚证要带什么', 'materials', ['结婚证'])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import yaml

from assistant.retrieval.bm25 import tokens
from nlu.elements import TEMPLATES, Analysis
from nlu.normalize import load_lexicon
from nlu.segmenter import Segmenter

if TYPE_CHECKING:
    from assistant.retrieval.index import Index

_HAN = re.compile(r"[\u3400-\u9fff]")


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

    @property
    def readable(self) -> bool:
        """Whether it holds Chinese at all (the only language the guides are in)."""
        return bool(_HAN.search(self.text))


class Analyser(Protocol):
    """Reads a message into a :class:`Question`."""

    def run(self, query: str) -> Question: ...


def question_words(segmenter: Segmenter, domain: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words of asking: every token of the element templates, less the domain's words.

    Args:
        segmenter: the index's segmenter.
        domain: words that are content even where a template uses them (身份证, 户口簿: names, aliases,
            materials); the lexicon's generic words (多少钱, 怎么办) stay question words.
    """
    templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
    words: set[str] = set()
    for patterns in templates.values():
        for pattern in patterns:
            words.update(tokens(pattern.replace("{x}", " "), segmenter))
    lexicon = load_lexicon()
    generic = set(lexicon.get("words", [])) | set(lexicon.get("replace", {}).values())
    return frozenset(words - (domain - generic))


class QuestionAnalyser:
    """Normalises a message and reads it with the index's pipeline and segmenter.

    Args:
        normalise: the index's normaliser.
        analyse: the index's element / mention / scope pipeline, over normalised text.
        segmenter: the index's segmenter.
        question_words: see :func:`question_words`.
    """

    def __init__(
        self,
        normalise: Callable[[str], str],
        analyse: Callable[[str], Analysis],
        segmenter: Segmenter,
        question_words: frozenset[str],
    ):
        self.normalise = normalise
        self.analyse = analyse
        self.segmenter = segmenter
        self.question_words = question_words

    @classmethod
    def for_index(cls, index: Index) -> QuestionAnalyser:
        """The analyser of a loaded index."""
        domain = frozenset(index.normaliser.vocabulary)
        return cls(index.normaliser, index.pipeline.analyse, index.segmenter, question_words(index.segmenter, domain))

    def run(self, query: str) -> Question:
        """Read one message (any length, any script; never raises for odd input)."""
        text = self.normalise(query)
        if not _HAN.search(text):
            return Question(query=query, text=text)
        analysis = self.analyse(text)
        words = tokens(text, self.segmenter)
        return Question(
            query=query,
            text=text,
            words=words,
            content=[t for t in words if t not in self.question_words],
            element=analysis.element,
            mentions=analysis.mentions,
            out_of_scope=analysis.out_of_scope,
        )
