"""BM25 over the index's jieba tokens: the tokens of a text, the scores bm25s computed at build, and the retriever.

Two texts of an entry are searched: what names it (name, aliases, FAQ questions, overview: ``search_text``) and its
whole guide as a person reads it (conditions, materials, time limits, FAQ answers …). A real message names the service
rarely and tells its story in the guide's words (继承人, 受遗赠人, 余额 of a fund's FAQ; 迁回 … 落 of a household
move's ten days), which only the whole guide holds.

Example:
    >>> retriever = Bm25Retriever(Bm25Scores.load(index_dir / "bm25"), segmenter)  # doctest: +SKIP
    >>> retriever.search("结婚登记要带什么", k=3)  # doctest: +SKIP
    [(12, 9.1), (40, 3.2), (7, 1.5)]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.retrieval.types import Hit, IndexError_
from nlu.segmenter import Segmenter, cut_for_search

GUIDE_WEIGHT = 0.5  # of an entry's whole guide beside its naming text (see Bm25Retriever)
_STOP = set("的了吗么呢吧啊呀要我你他她它是在和与及或也都就还把被给让请问想能会可以怎什哪多少几")


def tokens(text: str, segmenter: Segmenter) -> list[str]:
    """BM25 tokens of normalised text: jieba search-mode words (so 结婚登记 also gives 结婚, 登记).

    Args:
        text: normalised text.
        segmenter: the index's ``jieba.Tokenizer`` (see :mod:`nlu.segmenter`).
    """
    # the cut is remembered per segmenter (a question is cut by its reader, its analysis and its search)
    return [t for t in cut_for_search(segmenter, text) if t.strip() and t not in _STOP]


def guide_words(text: str, segmenter: Segmenter) -> list[str]:
    """The BM25 tokens of a whole guide (or a message searched against guides): its words, punctuation left out."""
    return [t for t in tokens(text, segmenter) if any(ch.isalnum() for ch in t)]


class Bm25Scores:
    """BM25 retrieval over the matrices ``bm25s`` saved, as ``bm25s.BM25.retrieve`` computes it (numpy backend).

    bm25s scores eagerly at build (one precomputed score per token and document, in a sparse column matrix), so
    a query's scores are sums of matrix slices; doing that here spares importing bm25s and scipy at start-up
    (0.4 s) and their per-call checks. ``tests/assistant/test_index.py`` checks ids and scores against bm25s.

    Args:
        data: the matrix's scores (``data.csc.index.npy``).
        indices: the document of each score.
        indptr: where each token's scores start in ``data``.
        vocabulary: token -> token id.
        documents: the number of documents.
    """

    # methods whose scores are the precomputed sums alone (BM25L and BM25+ add a non-occurrence term)
    METHODS = ("lucene", "robertson", "atire")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocabulary: dict, documents: int):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.vocabulary = vocabulary
        self.documents = documents

    @classmethod
    def load(cls, directory: Path) -> Bm25Scores:
        """Read the matrices of ``bm25s.BM25.save``.

        Raises:
            IndexError_: the index was built with a BM25 variant this scorer does not compute.
        """
        params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method") not in cls.METHODS:
            raise IndexError_(f"{directory}: BM25 method {params.get('method')!r} is not supported here")
        return cls(
            np.load(directory / "data.csc.index.npy", allow_pickle=False),
            np.load(directory / "indices.csc.index.npy", allow_pickle=False),
            np.load(directory / "indptr.csc.index.npy", allow_pickle=False),
            json.loads((directory / "vocab.index.json").read_text(encoding="utf-8")),
            int(params["num_docs"]),
        )

    def retrieve(self, query: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of the ``k`` best documents, best first, as bm25s orders them."""
        # bm25s keeps an id for the empty token without a column (it refuses such a query; tokens() never makes one)
        columns = len(self.indptr) - 1
        ids = np.asarray([i for t in query if (i := self.vocabulary.get(t, columns)) < columns], dtype=np.int32)
        scores = np.zeros(self.documents, dtype=np.float32)
        for start, end in zip(self.indptr[ids], self.indptr[ids + 1], strict=True):
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        # bm25s' top-k: a partition, then a descending sort of the k (ties keep bm25s' order)
        chosen = np.argpartition(scores, -k)[-k:]
        chosen_scores = np.take(scores, chosen)
        order = np.flip(np.argsort(chosen_scores))
        return chosen[order], chosen_scores[order]


class Bm25Retriever:
    """The entries whose texts share the most (and the rarest) words with a question.

    An entry's score is its naming text's BM25 score relative to the best one, plus ``guide_weight`` times its whole
    guide's relative to the best guide's: the names decide between entries a question names, the guides' words
    between those it only describes. ``python -m assistant.evaluation.calibrate SPLIT ... --guide-weights 0 0.5 …``
    prints each split's figures for each weight (0.45 to 0.6 gave the same answers on the development splits).

    Args:
        scores: the BM25 matrices of the entries' naming texts.
        segmenter: the index's segmenter, which cut the texts at build.
        guides: the BM25 matrices of the entries' whole guides (none: the naming texts alone).
        guide_weight: the weight of the whole guides.
    """

    def __init__(
        self,
        scores: Bm25Scores,
        segmenter: Segmenter,
        guides: Bm25Scores | None = None,
        guide_weight: float = GUIDE_WEIGHT,
    ):
        self.scores = scores
        self.segmenter = segmenter
        self.guides = guides
        self.guide_weight = guide_weight

    def search(self, text: str, k: int) -> list[Hit]:
        """(entry position, score) for a normalised question, best first; entries scoring 0 left out."""
        query = tokens(text, self.segmenter)
        if not query:
            return []
        hits = _hits(self.scores, query, k)
        if self.guides is None or not self.guide_weight:
            return hits
        found = _relative(hits)
        for i, share in _relative(_hits(self.guides, query, k)).items():
            found[i] = found.get(i, 0.0) + self.guide_weight * share
        return sorted(found.items(), key=lambda hit: -hit[1])[:k]


def _hits(scores: Bm25Scores, query: Sequence[str], k: int) -> list[Hit]:
    """(document, score) of the ``k`` best documents of a matrix that score above 0, best first."""
    ids, values = scores.retrieve(query, min(k, scores.documents))
    return [(int(i), float(s)) for i, s in zip(ids, values, strict=True) if s > 0]


def _relative(hits: Sequence[Hit]) -> dict[int, float]:
    """Entry position -> score relative to the best hit's (hits best first)."""
    return {i: score / hits[0][1] for i, score in hits} if hits else {}
