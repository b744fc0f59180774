"""Question answering: from an everyday question to the right guide element, answered from the guide's text.

The one service that the command line, ``POST /api/v1/ask``, the dialogue and WeChat call.

Example:
    >>> qa = QuestionAnswerer(index)            # doctest: +SKIP
    >>> qa.ask("领结婚证要带啥").item           # doctest: +SKIP
    '内地居民结婚登记'
"""

from __future__ import annotations

import math
import re
from typing import Literal

import yaml
from pydantic import BaseModel

from assistant.answers import compose, out_of_scope_reply
from assistant.index import Index, tokens
from knowledge.glossary import ELEMENTS as ELEMENT_LABELS
from nlu.elements import TEMPLATES, Analysis
from nlu.normalize import load_lexicon

Kind = Literal["answer", "clarify", "out_of_scope", "empty"]
# weights of the fused score: BM25 (relative to the best BM25 score of the question), cosine similarity, and a
# mention of the entry's name or alias (relative to the longest mention); the prior (guide completeness) is
# raised to PRIOR_POWER, so a thin imported entry does not take the question of a full guide. Chosen by item
# accuracy@1 on the five development splits, with and without the Guangdong distractors
# (`python -m assistant.calibrate --fusion tests/eval/dev.tsv tests/eval/dev2.tsv … tests/eval/dev5.tsv [-c var/gd]`:
# 96.1 % / 95.1 %, against 95.8 % / 94.7 % for the earlier (0.5, 1.5, 0.4) and power 3).
FUSION = (0.5, 1.5, 0.2)
PRIOR_POWER = 5
ELEMENT_NAMES = {
    **{
        k: ELEMENT_LABELS[k]
        for k in ("materials", "conditions", "process", "fee", "location", "basis", "online", "result", "visits")
    },
    "time_limit": "办理时限",
    "contact": "咨询电话",
}


def fuse(
    bm25: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    mentioned: dict[int, float],
    priors,
    fusion: tuple[float, float, float] = FUSION,
    prior_power: float = PRIOR_POWER,
) -> dict[int, float]:
    """Entry index -> fused score of the signals :meth:`QuestionAnswerer.retrieve` returns."""
    w_bm25, w_cosine, w_mention = fusion
    scores: dict[int, float] = {}
    if bm25:
        strongest = bm25[0][1]
        for i, value in bm25:
            scores[i] = w_bm25 * value / strongest
    for i, value in dense:
        scores[i] = scores.get(i, 0.0) + w_cosine * max(0.0, value)
    for i, weight in mentioned.items():
        scores[i] = scores.get(i, 0.0) + w_mention * weight
    return {i: score * float(priors[i]) ** prior_power for i, score in scores.items()}


class Candidate(BaseModel):
    """A possible item or bundle with its fused score (0..1)."""

    name: str
    score: float


class Answer(BaseModel):
    """The answer contract other parts rely on."""

    query: str
    item: str | None
    element: str | None
    answer: str
    confidence: float
    candidates: list[Candidate]
    kind: Kind
    item_id: str | None = None
    version: str | None = None


class Thresholds(BaseModel):
    """Decision thresholds on the calibrated confidence."""

    answer: float = 0.40  # below: out of scope (chosen on the development splits, with and without the distractors)
    clarify_margin: float = 0.15  # top two fused scores closer than this (and related): ask which one
    # logistic calibration of (cosine, coverage, mention, retrievers agree, in scope) -> P(answer is right),
    # as printed by `python -m assistant.calibrate tests/eval/dev*.tsv tests/eval/blind2.tsv`
    weights: tuple[float, float, float, float, float] = (2.56, 3.28, 1.95, 1.04, 3.53)
    bias: float = -5.39


def _question_words() -> frozenset[str]:
    templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
    words: set[str] = set()
    for patterns in templates.values():
        for pattern in patterns:
            words.update(tokens(pattern.replace("{x}", " ")))
    return frozenset(words)


class QuestionAnswerer:
    """Finds the item and element a question is about and answers from the guide.

    Args:
        index: a loaded :class:`~assistant.index.Index`.
        thresholds: decision thresholds (defaults measured on the development split).
    """

    def __init__(self, index: Index, thresholds: Thresholds | None = None):
        self.index = index
        self.thresholds = thresholds or Thresholds()
        # a domain word (身份证, 户口簿: names, aliases, materials) is content even where templates use it; the
        # lexicon's generic words (多少钱, 怎么办) stay question words
        lexicon = load_lexicon()
        generic = set(lexicon.get("words", [])) | set(lexicon.get("replace", {}).values())
        self._question_words = _question_words() - (index.normaliser.vocabulary - generic)
        # computed at index build (normalising and segmenting 30,000 names costs minutes): only looked up here
        self._naming = index.naming
        self._df = index.naming.document_frequency
        # the calibration features of the last answer, read by ``assistant.calibrate``
        self.last_features: tuple[float, ...] = ()

    def _idf(self, token: str) -> float:
        """Inverse document frequency over the entries' naming texts: rare words weigh more."""
        return math.log((len(self._naming) + 1) / (self._df.get(token, 0) + 1)) + 1.0

    def _uses(self, i: int, words: list[str]) -> list[bool]:
        """Which of the question's words entry ``i``'s names, aliases and FAQ use; a single character (补, 换,
        丢) counts where it is part of one of their words (补 in 补领)."""
        naming = self._naming[i]
        return [t in naming or (len(t) == 1 and any(t in word for word in naming)) for t in words]

    def _covered(self, i: int, content: list[str], weights: list[float]) -> float:
        """The weight of the question's content words that entry ``i``'s naming uses."""
        return sum(w for used, w in zip(self._uses(i, content), weights, strict=True) if used)

    def retrieve(
        self, text: str, analysis: Analysis
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], dict[int, float]]:
        """The signals of a normalised question: BM25 and dense hits (entry index, score) and mentions (entry
        index -> length of the phrase relative to the longest mention)."""
        mentioned: dict[int, float] = {}
        if analysis.mentions:
            longest = len(analysis.mentions[0][1])
            for entry_id, phrase in analysis.mentions:
                i = self.index.by_id.get(entry_id)
                if i is not None:
                    mentioned[i] = max(mentioned.get(i, 0.0), len(phrase) / longest)
        return self.index.bm25_search(text, 30), self.index.dense_search(text, 30), mentioned

    def _related(self, a: int, b: int) -> bool:
        """Two entries of one family (首次申领 / 换领 / 补领 …): names share a long common stem."""
        na, nb = self.index.names[a], self.index.names[b]
        common = 0
        for x, y in zip(na, nb, strict=False):
            if x != y:
                break
            common += 1
        return common >= 4

    def ask(self, query: str, *, context_item: str | None = None) -> Answer:
        """Answer one question.

        Args:
            query: the question as typed (any length, any script; never raises for odd input).
            context_item: the item of the conversation so far, used when the question names none
                ("那要多少钱？").
        """
        text = self.index.normaliser(query)
        if not re.search(r"[\u3400-\u9fff]", text):
            if not text:
                return Answer(
                    query=query,
                    item=None,
                    element=None,
                    kind="empty",
                    confidence=0.0,
                    candidates=[],
                    answer="您好，请告诉我您想办理的事项，例如“身份证丢了怎么办”“结婚登记要带什么材料”。",
                )
            return self._out_of_scope(query, [], 0.0, english=True)
        analysis = self.index.pipeline.analyse(text)
        bm25, dense, mentioned = self.retrieve(text, analysis)
        cosine = dict(dense)
        scores = fuse(bm25, dense, mentioned, self.index.priors)
        if context_item and not mentioned:
            i = self.index.by_name.get(context_item)
            if i is not None:
                # a follow-up that names nothing ("那要多少钱") is about it, as if it were named and found first
                scores[i] = scores.get(i, 0.0) + sum(FUSION)
                mentioned[i] = 1.0
        words = tokens(text)
        content = [t for t in words if t not in self._question_words]
        if not content and not context_item:
            if analysis.out_of_scope >= 0.5:
                return self._out_of_scope(query, [], 0.0)  # "在吗", "你是谁": about no service at all
            # "要多少钱？" with nothing said before: ask which item, do not guess
            what = f"的{ELEMENT_NAMES[analysis.element]}" if analysis.element else ""
            return Answer(
                query=query,
                item=None,
                element=analysis.element,
                kind="clarify",
                confidence=0.0,
                candidates=[],
                answer=f"请问您想了解哪个事项{what}？例如“护照”“结婚登记”“公积金提取”。",
            )
        if not scores:
            return self._out_of_scope(query, [], 0.0)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:3]
        best = sum(FUSION)  # the best BM25 score, a cosine of 1 and a full mention
        candidates = [Candidate(name=self.index.names[i], score=round(min(1.0, s / best), 4)) for i, s in ranked]
        top = ranked[0][0]
        weights = [self._idf(t) for t in content]
        covered = self._covered(top, content, weights)
        # a follow-up with only question words ("那要多少钱") is fully about the conversation's item
        coverage = covered / sum(weights) if content else float(mentioned.get(top, 0.0))
        agree = float(bool(bm25) and bool(dense) and bm25[0][0] == top and dense[0][0] == top)
        features = (cosine.get(top, 0.0), coverage, mentioned.get(top, 0.0), agree, 1.0 - analysis.out_of_scope)
        self.last_features = features
        z = self.thresholds.bias + sum(w * f for w, f in zip(self.thresholds.weights, features, strict=True))
        confidence = round(1 / (1 + math.exp(-z)), 4)
        if confidence < self.thresholds.answer:
            return self._out_of_scope(query, candidates, confidence)
        if len(ranked) > 1:
            second = ranked[1][0]
            margin = (ranked[0][1] - ranked[1][1]) / ranked[0][1] if ranked[0][1] > 0 else 0.0
            # ask only when nothing in the question tells the two apart ("驾照多少钱": 补领 or 期满换证?); a single
            # character the templates also use still may (补 in "补驾照多少钱" is part of 补领, "怎么补" a template)
            # the same words, not the same weight: two different words may weigh alike (补办 and 去 in
            # "身份证不见了去哪里补办", one naming 补领 and the other 换领)
            singles = [t for t in dict.fromkeys(words) if len(t) == 1 and t not in content]
            telling = content + singles
            undecided = self._uses(top, telling) == self._uses(second, telling)
            if (
                margin < self.thresholds.clarify_margin
                and undecided
                and self._related(top, second)
                and not mentioned.get(top)
            ):
                a, b = self.index.names[top], self.index.names[second]
                return Answer(
                    query=query,
                    item=None,
                    element=analysis.element,
                    kind="clarify",
                    confidence=confidence,
                    candidates=candidates,
                    answer=f"请问您要办理的是“{a}”还是“{b}”？",
                )
        entry = self.index.entries[top]
        return Answer(
            query=query,
            item=entry.name,
            item_id=entry.id,
            version=entry.version,
            element=analysis.element,
            kind="answer",
            confidence=confidence,
            candidates=candidates,
            answer=compose(entry, analysis.element),
        )

    def _out_of_scope(
        self, query: str, candidates: list[Candidate], confidence: float, english: bool = False
    ) -> Answer:
        return Answer(
            query=query,
            item=None,
            element=None,
            kind="out_of_scope",
            confidence=confidence,
            candidates=candidates,
            answer=out_of_scope_reply(english),
        )
