"""The baseline question answering is judged against: plain BM25 over each guide's full text.

Every guide is rendered whole (``knowledge.render.render_guide``: name, aliases, overview, conditions, materials,
time limits, FAQ …), cut into jieba search-mode words and indexed with ``bm25s``; a message is cut the same way,
without normalisation, reading or refusal, and the guide scoring highest is its answer. On real messages this
simple baseline once beat the assistant (item@1 73 % against 53 % on long hotline messages), so ``assistant eval
--baseline`` prints its item accuracy@1 beside the assistant's: a change to question answering should keep the
assistant above it on every split.

Example:
    >>> baseline = FullTextBaseline(catalogue, segmenter)  # doctest: +SKIP
    >>> baseline.top("身份证丢了怎么补办")  # doctest: +SKIP
    '居民身份证补领'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.evaluation.evaluate import LONG, Case
from assistant.retrieval.bm25 import guide_words
from knowledge.catalogue import Catalogue
from knowledge.render import render_guide
from nlu.segmenter import Segmenter


class FullTextBaseline:
    """BM25 over the full text of every guide of a catalogue.

    Args:
        catalogue: the catalogue whose items and bundles are searched.
        segmenter: the jieba tokenizer to cut guides and messages with (the index's).
    """

    def __init__(self, catalogue: Catalogue, segmenter: Segmenter):
        import bm25s

        entries = catalogue.entries()
        self.names = [entry.name for entry in entries]
        self.segmenter = segmenter
        self.bm25 = bm25s.BM25()
        self.bm25.index([self.words(render_guide(e, catalogue)) or ["∅"] for e in entries], show_progress=False)

    def words(self, text: str) -> list[str]:
        """A text's jieba search-mode words, punctuation left out."""
        return guide_words(text, self.segmenter)

    def top(self, message: str) -> str | None:
        """The name of the guide scoring highest for a message; None when no word of it is in any guide."""
        words = [w for w in self.words(message) if w in self.bm25.vocab_dict]
        if not words:
            return None
        return self.names[int(np.argmax(self.bm25.get_scores(words)))]

    def item_accuracy(self, cases: Sequence[Case]) -> dict[str, float | None]:
        """Item accuracy@1 over the in-scope cases, in all and apart for long messages and short questions (None
        where a file has none of that length)."""
        right: dict[str, list[bool]] = {"all": [], "long": [], "short": []}
        for case in cases:
            if case.item is None:
                continue
            ok = self.top(case.query) == case.item
            right["all"].append(ok)
            right["long" if len(case.query) > LONG else "short"].append(ok)
        return {part: (sum(oks) / len(oks) if oks else None) for part, oks in right.items()}

    def text(self, cases: Sequence[Case]) -> str:
        """One printable line: the baseline's item accuracy@1."""
        accuracy = self.item_accuracy(cases)
        shown = [f"{part} {value:.1%}" for part, value in accuracy.items() if value is not None]
        return "baseline: plain BM25 over the guides' full text, item_accuracy@1 " + (", ".join(shown) or "–")
