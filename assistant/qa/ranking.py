"""Ranking: the retrievers' signals fused into one score per entry, and the features the confidence is computed
from. Pure arithmetic over what the retrievers and the analysis found: tested on hand-made candidates.

Example:
    >>> fuse([(0, 8.0), (1, 4.0)], [(1, 0.5)], {}, priors=[1.0, 1.0])
    {0: 0.5, 1: 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.qa.analysis import Question, carried_words, registered_words, subject_words
from assistant.qa.message import asking_words
from assistant.retrieval.types import Hit, without_act
from knowledge.catalogue import common_start

# weights of the fused score: BM25 (relative to the best BM25 score of the question), cosine similarity, and a
# mention of the entry's name or alias (relative to the longest mention); the prior (guide completeness) is
# raised to PRIOR_POWER, so a thin imported entry does not take the question of a full guide. Chosen by item
# accuracy@1 on the five development splits, with and without the Guangdong distractors
# (`python -m assistant.evaluation.calibrate --fusion tests/eval/dev.tsv … tests/eval/dev5.tsv [-c var/gd]`:
# 96.1 % / 95.1 %, against 95.8 % / 94.7 % for the earlier (0.5, 1.5, 0.4) and power 3).
FUSION = (0.5, 1.5, 0.2)
PRIOR_POWER = 5
CANDIDATES = 30  # hits asked of each retriever
TOP = 3  # candidates kept after fusion


class Retriever(Protocol):
    """Finds entries for a normalised question: (entry position, score), best first."""

    def search(self, text: str, k: int) -> list[Hit]: ...


class Naming(Protocol):
    """Per entry, the tokens of what names it, and how many entries each token names."""

    @property
    def document_frequency(self) -> Mapping[str, int]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, position: int) -> frozenset[str]: ...


@dataclass(frozen=True)
class Signals:
    """What the retrievers and the analysis found for one question."""

    bm25: list[Hit]
    dense: list[Hit]
    mentioned: dict[int, float]  # entry position -> length of its mention relative to the longest


@dataclass(frozen=True)
class Scored:
    """The best entries for a question, and the features of the first one.

    ``features`` are (cosine, coverage, mention, retrievers agree, in scope): what the calibrated confidence is
    computed from (see :class:`~assistant.qa.decision.Thresholds`); empty when nothing was found.
    """

    ranked: list[Hit]  # (entry position, fused score), best first, at most TOP
    mentioned: dict[int, float] = field(default_factory=dict)
    features: tuple[float, ...] = ()

    @property
    def coverage(self) -> float:
        """How much of the question (its words by weight) the first entry's names, aliases and FAQ use."""
        return self.features[1] if self.features else 0.0


def fuse(
    bm25: Sequence[Hit],
    dense: Sequence[Hit],
    mentioned: Mapping[int, float],
    priors: Sequence[float] | np.ndarray,
    fusion: tuple[float, float, float] = FUSION,
    prior_power: float = PRIOR_POWER,
) -> dict[int, float]:
    """Entry position -> fused score of the retrievers' hits and the mentions."""
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


STEM = 4  # characters two names share at least to be one family (居民身份证首次申领 / 居民身份证补领)


def related(a: str, b: str) -> bool:
    """Two entries of one family (首次申领 / 换领 / 补领 …): names share a long common stem."""
    return len(common_start(a, b)) >= STEM


def mention_weights(mentions: Sequence[tuple[str, str]], positions: Mapping[str, int]) -> dict[int, float]:
    """Entry position -> length of the phrase naming it relative to the longest mention (mentions come longest
    first); entries unknown to ``positions`` are left out."""
    mentioned: dict[int, float] = {}
    if mentions:
        longest = len(mentions[0][1])
        for entry_id, phrase in mentions:
            i = positions.get(entry_id)
            if i is not None:
                mentioned[i] = max(mentioned.get(i, 0.0), len(phrase) / longest)
    return mentioned


class Ranker:
    """Fuses the signals and weighs how much of the question the best entry's names cover.

    Args:
        names: each entry's name, by position.
        priors: each entry's prior (1.0 for a complete guide).
        naming: each entry's naming tokens (name, aliases, FAQ questions).
        fusion: the weights of BM25, cosine and mention.
        prior_power: the power the prior is raised to.
        stop_words: words that name no subject (没有, 可以, 这边; the index's).
    """

    def __init__(
        self,
        names: Sequence[str],
        priors: Sequence[float] | np.ndarray,
        naming: Naming,
        fusion: tuple[float, float, float] = FUSION,
        prior_power: float = PRIOR_POWER,
        stop_words: frozenset[str] = frozenset(),
    ):
        self.names = names
        self.stop_words = stop_words
        self.priors = priors
        self.naming = naming
        self.fusion = fusion
        self.prior_power = prior_power
        # a word is part of what some entry's name names (its act aside: 申请 of 临时救助申请 names nothing): one
        # search, not one per name
        self._all_names = "\n".join(without_act(name) for name in names)
        self._by_name: dict[str, int] = {}
        for i, name in enumerate(names):
            self._by_name.setdefault(name, i)

    def position(self, name: str) -> int | None:
        """The position of the entry of that name (the first, where two share it)."""
        return self._by_name.get(name)

    def idf(self, token: str) -> float:
        """Inverse document frequency over the entries' naming texts: rare words weigh more."""
        return math.log((len(self.naming) + 1) / (self.naming.document_frequency.get(token, 0) + 1)) + 1.0

    def uses(self, i: int, words: Sequence[str]) -> list[bool]:
        """Which of the question's words entry ``i``'s names, aliases and FAQ use; a single character (补, 换,
        丢) counts where it is part of one of their words (补 in 补领)."""
        naming = self.naming[i]
        return [t in naming or (len(t) == 1 and any(t in word for word in naming)) for t in words]

    def parts(self, i: int, words: Sequence[str]) -> list[bool]:
        """Which of the words are part of one of entry ``i``'s names, aliases and FAQ words: those it :meth:`uses`,
        and longer ones written inside one of its words (年审 of 汽车年审)."""
        naming = self.naming[i]
        return [used or any(t in word for word in naming) for t, used in zip(words, self.uses(i, words), strict=True)]

    def score(
        self, question: Question, signals: Signals, context_item: str | None = None, *, switch: bool = True
    ) -> Scored:
        """The best entries and the features of the first.

        Args:
            question: the analysed question.
            signals: its retrievers' hits and mentions.
            context_item: the name of the entry the conversation is about; a question that names none
                ("那要多少钱？") is about it, as if it were named and found first.
            switch: whether a word of another entry's name takes the question away from ``context_item``.
        """
        mentioned = dict(signals.mentioned)
        scores = fuse(signals.bm25, signals.dense, mentioned, self.priors, self.fusion, self.prior_power)
        i = self.position(context_item) if context_item else None
        told: set[str] = set()  # in a conversation: the words that only tell about the person or the answer asked
        # a question naming nothing, or naming the conversation's entry among others ("要去哪边领证" after 结婚登记)
        if i is not None and (not mentioned or i in mentioned) and not self._sibling_asked(question, i, scores):
            # a word that is part of another entry's name and not of this one's says the question is about that
            # other entry ("那离婚要带什么" after 内地居民结婚登记); "那要多少钱" stays with the conversation's entry,
            # and so does a thing to bring ("那要带户口本不": 户口簿 of 居民户口簿补领), a name's act (申请) or where the
            # person's household is registered ("我们都是外地户口，可以在这边办吗")
            others: set[str] = set()  # words of other entries' names
            if switch:
                others = {
                    t for t in question.content if len(t) >= 2 and t in self._all_names and t not in self.names[i]
                }
            # ... nor do the words that only say what kind of answer is asked (异地 of "可以异地领吗": whether it may be
            # done elsewhere, not 异地就医备案)
            told = (
                carried_words(question)
                | registered_words(question)
                | asking_words(question.text, question.content, question.answer_type)
            )
            foreign = bool(others - told) or (bool(others) and self._asks_elsewhere(question, i, signals, told))
            if not foreign:
                scores[i] = scores.get(i, 0.0) + sum(self.fusion)
                mentioned[i] = 1.0
        if not scores:
            return Scored(ranked=[], mentioned=mentioned)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:TOP]
        top = ranked[0][0]
        # a follow-up in words that only say what kind of answer is asked ("能异地办吗": 异地) is, like "那要多少钱",
        # wholly about the conversation's entry: such a word its names, aliases and FAQ do not use ("异地") counts for
        # nothing, one they use ("花钱" of "办残疾证要花钱吗") still covers
        content = question.content
        if i is not None and mentioned.get(i):
            content = [t for t, used in zip(content, self.uses(i, content), strict=True) if used or t not in told]
        weights = [self.idf(t) for t in content]
        covered = sum(w for used, w in zip(self.uses(top, content), weights, strict=True) if used)
        # a follow-up with only question words ("那要多少钱") is fully about the conversation's item
        coverage = covered / sum(weights) if content else float(mentioned.get(top, 0.0))
        bm25, dense = signals.bm25, signals.dense
        agree = float(bool(bm25) and bool(dense) and bm25[0][0] == top and dense[0][0] == top)
        cosine = dict(dense).get(top, 0.0)
        features = (cosine, coverage, mentioned.get(top, 0.0), agree, 1.0 - question.out_of_scope)
        return Scored(ranked=ranked, mentioned=mentioned, features=features)

    def _sibling_asked(self, question: Question, i: int, scores: Mapping[int, float]) -> bool:
        """Whether the retrievers' best entry is another of entry ``i``'s family that a word of the question names
        and ``i``'s name does not: "烟草证快到期了怎么续" after 烟草专卖零售许可证核发 names the licence (烟草证) and
        asks for its 延续; the retrievers decide, as for a first message."""
        if not scores:
            return False
        best = max(scores, key=lambda j: scores[j])
        mine, theirs = self.names[i], self.names[best]
        return (
            best != i
            and related(mine, theirs)
            and any(t in without_act(theirs) and t not in mine for t in dict.fromkeys(question.words))
        )

    def _asks_elsewhere(self, question: Question, i: int, signals: Signals, told: set[str]) -> bool:
        """Whether a question that names another entry's word only in what it tells (where the household is
        registered, a thing to bring) asks about something else that the entry both retrievers find first names and
        entry ``i`` does not: "外地户口孩子能在这上小学吗" after 补领结婚证 asks about 小学, which 义务教育阶段新生入学
        登记 names; "我们俩都是外地户口可以在这边办吗" after 结婚登记 asks about nothing else, nor does a long
        follow-up the retrievers disagree on ("…一直没时间回老家，请问可以直接在这边办吗")."""
        if not signals.bm25 or not signals.dense or signals.bm25[0][0] != signals.dense[0][0]:
            return False
        best = signals.bm25[0][0]
        if best == i:
            return False
        words = [t for t in subject_words(question.content, self.stop_words) if not any(t in whole for whole in told)]
        return any(
            theirs and not mine for theirs, mine in zip(self.uses(best, words), self.uses(i, words), strict=True)
        )

    def share(self, score: float) -> float:
        """A fused score as a share of the best possible one (the best BM25 score, a cosine of 1, a full
        mention), at most 1."""
        return round(min(1.0, score / sum(self.fusion)), 4)
