"""Reading a question as the trained pipeline of :mod:`nlu.elements` does, without spaCy or thinc.

Serving needs four things of that pipeline: its tokens (jieba's words, aligned with the text as spaCy's Chinese
tokenizer aligns them), the mentions its EntityRuler marks, and the two bag-of-n-grams classifiers (the element
asked, in or out of scope). :meth:`~nlu.elements.ElementPipeline.save` and
:func:`~nlu.elements.save_mention_tokens` export what they need at build (the classifiers' weights, the ruler's
phrases cut into tokens with their key hashes and the order of keys at shared phrases); here they are computed
with numpy and plain Python, to the same labels and the same float32 scores. Importing spaCy means importing
thinc, and thinc imports torch whenever it is installed: seconds of start-up that a server never needs.

``tests/nlu/test_reader.py`` and ``tests/assistant/retrieval/test_index.py`` check every result against spaCy.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from nlu.elements import (
    CLASSIFIERS,
    END,
    MENTION_TOKENS,
    NONE,
    OUT,
    PHRASE_SEPARATOR,
    PLACEHOLDER,
    START,
    Analysis,
)
from nlu.murmur import row_hashes, slot_hashes, string_hash
from nlu.segmenter import Segmenter, cut

FEATURE_CACHE = 500_000  # features whose hashes and slots are kept per classifier (cleared when full)


class BagOfNgrams:
    """A trained ``spacy.TextCatBOW.v3`` with exclusive classes, scored with numpy.

    The model is ``extract_ngrams(n, ORTH) >> SparseLinear_v2 >> softmax``: a text's features are its tokens'
    numbers and the 64-bit hashes of every run of 2..n of them, each counted once with the number of times it
    occurs; each feature adds its count times two weights per class, found in a hashed table at two slots
    (:func:`~nlu.murmur.slot_hashes` with seeds 0 and 1, modulo the table's length), to the bias; a softmax makes
    the sums probabilities. The sums are taken in thinc's order (features by increasing hash, the first slot then
    the second) in float32, so the scores are thinc's to the bit.

    Args:
        weights: the table, one row per slot, one column per label (float32, ``length x labels``).
        bias: one per label (float32).
        labels: the classifier's labels, in its order.
        ngram_size: the longest n-gram read.
    """

    def __init__(self, weights: np.ndarray, bias: np.ndarray, labels: Sequence[str], ngram_size: int):
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.labels = list(labels)
        self.ngram_size = int(ngram_size)
        self._length = np.uint32(self.weights.shape[0])
        # feature -> its two weight slots: a question's characters and words recur from one question to the
        # next, and hashing a handful of keys costs numpy's call overhead a score (tens of array operations)
        self._slots: dict[int, tuple[int, int]] = {}
        self._grams: dict[tuple[int, ...], int] = {}  # run of token numbers -> its n-gram hash

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], name: str) -> BagOfNgrams:
        """The classifier ``name`` of the arrays :func:`~nlu.elements.export_classifiers` saved."""
        return cls(
            arrays[f"{name}.weights"],
            arrays[f"{name}.bias"],
            [str(label) for label in arrays[f"{name}.labels"]],
            int(arrays[f"{name}.ngram_size"]),
        )

    def _slots_of(self, keys: list[int]) -> tuple[list[int], list[int]]:
        """The two weight slots of each feature (seeds 0 and 1, modulo the table's length)."""
        slots = self._slots
        if len(slots) > FEATURE_CACHE:
            slots.clear()
        missing = [key for key in keys if key not in slots]
        if missing:
            new = np.asarray(missing, dtype=np.uint64)
            first = (slot_hashes(new, 0) % self._length).tolist()
            second = (slot_hashes(new, 1) % self._length).tolist()
            slots.update(zip(missing, zip(first, second, strict=True), strict=True))
        pairs = [slots[key] for key in keys]
        return [a for a, _ in pairs], [b for _, b in pairs]

    def _grams_of(self, orths: Sequence[int], n: int) -> list[int]:
        """The hashes of the text's runs of ``n`` tokens, as thinc's ``ngrams`` computes them."""
        grams = self._grams
        if len(grams) > FEATURE_CACHE:
            grams.clear()
        runs = [tuple(orths[i : i + n]) for i in range(len(orths) - n + 1)]
        missing = list({run for run in runs if run not in grams})
        if missing:
            hashes = row_hashes(np.asarray(missing, dtype=np.uint64)).tolist()
            grams.update(zip(missing, hashes, strict=True))
        return [grams[run] for run in runs]

    def __call__(self, orths: Sequence[int]) -> dict[str, float]:
        """Label -> probability for a text whose tokens have these numbers, as spaCy's ``doc.cats``.

        A text of no token scores 0.0 for every label, as spaCy's text categorizer gives it.
        """
        if len(orths) == 0:
            return dict.fromkeys(self.labels, 0.0)
        counted = Counter(orths)
        for n in range(2, self.ngram_size + 1):
            counted.update(self._grams_of(orths, n))
        keys = sorted(counted)  # thinc's np.unique: by increasing hash, which is the order the terms are added in
        values = np.asarray([counted[key] for key in keys], dtype=np.float32)[:, None]
        first, second = self._slots_of(keys)
        terms = np.empty((2 * len(keys) + 1, len(self.labels)), dtype=np.float32)
        terms[0] = self.bias
        terms[1::2] = self.weights[first] * values
        terms[2::2] = self.weights[second] * values
        logits = np.add.accumulate(terms, axis=0)[-1:]  # one term after another, as thinc's loop adds them
        # thinc's NumpyOps.softmax
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        exp /= exp.sum(axis=-1, keepdims=True)
        return {label: float(p) for label, p in zip(self.labels, exp[0], strict=True)}


class MentionMatcher:
    """The mentions spaCy's EntityRuler finds with the pipeline's phrase patterns, without spaCy.

    It reproduces the ruler as used here (first in the pipeline, phrase patterns matched on ORTH, no
    overwriting): every span whose tokens are a pattern's tokens is a match, in the PhraseMatcher's order (by
    start, then end, then the order of the keys stored for that phrase); the ruler collects the matches in a set
    of ``(key hash, start, end)``, sorts them longest first, then leftmost, and keeps each one that neither starts
    nor ends on a token already taken. Building the same set from the same hashes in the same order keeps even its
    choice among patterns of several entries with one phrase (a shared alias).

    Args:
        ids: each pattern's entry id (None for a pattern without one).
        tokens: each pattern's tokens, joined by :data:`~nlu.elements.PHRASE_SEPARATOR`.
        keys: each pattern's key hash (spaCy's hash of ``label||id``), as the ruler numbers its matches.
        tied: for each phrase of several keys, its keys in the order the PhraseMatcher stores them (computed at
            build, see :func:`~nlu.elements.save_mention_tokens`).
    """

    def __init__(
        self,
        ids: Sequence[str | None],
        tokens: Sequence[str],
        keys: Sequence[int],
        tied: Iterable[tuple[str, Sequence[int]]] = (),
    ):
        self._phrases: dict[str, list[tuple[int, str]]] = {}
        for ent_id, phrase, m_id in zip(ids, tokens, keys, strict=True):
            if not phrase:
                continue  # the PhraseMatcher skips an empty pattern
            found = self._phrases.setdefault(phrase, [])
            if all(m_id != known for known, _ in found):
                found.append((m_id, ent_id if isinstance(ent_id, str) else ""))
        self._ids = {m_id: ent_id for found in self._phrases.values() for m_id, ent_id in found}
        for phrase, order in tied:
            ids_here = dict(self._phrases[phrase])
            if sorted(order) != sorted(ids_here):
                raise ValueError(f"the saved order of the keys of {phrase!r} does not hold its keys")
            self._phrases[phrase] = [(m_id, ids_here[m_id]) for m_id in order]
        # the beginnings of phrases of several tokens: where the walk over a question goes on
        self._prefixes: set[str] = set()
        for phrase in self._phrases:
            if PHRASE_SEPARATOR in phrase:
                words = phrase.split(PHRASE_SEPARATOR)
                self._prefixes.update(PHRASE_SEPARATOR.join(words[:n]) for n in range(1, len(words)))

    def __call__(self, words: Sequence[str]) -> list[tuple[int, int, str]]:
        """(start, end, entry id) of the mentions the EntityRuler would mark in a text of these tokens, by start."""
        matches = []
        for start in range(len(words)):
            for end in range(start + 1, len(words) + 1):
                part = PHRASE_SEPARATOR.join(words[start:end])
                for m_id, _ in self._phrases.get(part, ()):
                    matches.append((m_id, start, end))
                if part not in self._prefixes:
                    break
        final = {(m_id, start, end) for m_id, start, end in matches}
        chosen = []
        seen: set[int] = set()
        for m_id, start, end in sorted(final, key=lambda m: (m[2] - m[1], -m[1]), reverse=True):
            if start not in seen and end - 1 not in seen:
                chosen.append((start, end, self._ids[m_id]))
                seen.update(range(start, end))
        return sorted(chosen)


def words_and_spaces(words: Iterable[str], text: str) -> tuple[list[str], list[bool]]:
    """The tokens of ``text`` and whether a space follows each, from the words a segmenter cut it into.

    spaCy's ``util.get_words_and_spaces``, which its Chinese tokenizer applies to jieba's words: whitespace words
    are dropped, one space after a word becomes its trailing space, any other gap a token of its own.

    Raises:
        ValueError: the words are not the text's (spaCy raises it too).
    """
    words = list(words)
    if "".join("".join(words).split()) != "".join(text.split()):
        raise ValueError(f"the words {words!r} do not make up the text {text!r}")
    text_words: list[str] = []
    text_spaces: list[bool] = []
    position = 0
    for word in (word for word in words if not word.isspace()):
        try:
            start = text[position:].index(word)
        except ValueError:
            raise ValueError(f"the words {words!r} do not make up the text {text!r}") from None
        if start > 0:
            text_words.append(text[position : position + start])
            text_spaces.append(False)
            position += start
        text_words.append(word)
        text_spaces.append(False)
        position += len(word)
        if position < len(text) and text[position] == " ":
            text_spaces[-1] = True
            position += 1
    if position < len(text):
        text_words.append(text[position:])
        text_spaces.append(False)
    return text_words, text_spaces


def _span_text(words: Sequence[str], spaces: Sequence[bool], start: int, end: int) -> str:
    """The text of tokens ``start:end``, as spaCy's ``doc[start:end].text`` (without the last one's space)."""
    text = "".join(word + " " * space for word, space in zip(words[start:end], spaces[start:end], strict=True))
    return text[:-1] if end > start and spaces[end - 1] else text


class ElementReader:
    """The element asked, the mentions and the out-of-scope probability of a question, from a saved pipeline.

    Gives what :meth:`nlu.elements.ElementPipeline.analyse` gives for the same pipeline (same labels, mentions and
    float32 scores), with numpy and plain Python.

    Args:
        segmenter: the index's segmenter, which cuts questions into words as the pipeline's tokenizer does.
        element: the element classifier (reads characters).
        scope: the scope classifier (reads words).
        mentions: the EntityRuler's matches.
        symbols: spaCy's reserved strings, numbered by their symbol id instead of their hash.
    """

    def __init__(
        self,
        segmenter: Segmenter,
        element: BagOfNgrams,
        scope: BagOfNgrams,
        mentions: MentionMatcher,
        symbols: Mapping[str, int],
    ):
        self.segmenter = segmenter
        self.element = element
        self.scope = scope
        self.mentions = mentions
        self._symbols = dict(symbols)
        self._orth = functools.lru_cache(maxsize=1 << 16)(self._number)

    @classmethod
    def load(cls, path: Path, segmenter: Segmenter) -> ElementReader:
        """Read the classifiers and mention tokens saved in ``path`` (the directory
        :meth:`~nlu.elements.ElementPipeline.save` wrote); questions are cut with ``segmenter``."""
        with np.load(path / CLASSIFIERS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        symbols = dict(zip(arrays["symbols.names"].tolist(), arrays["symbols.ids"].tolist(), strict=True))
        cut = json.loads((path / MENTION_TOKENS).read_text(encoding="utf-8"))
        return cls(
            segmenter,
            BagOfNgrams.from_arrays(arrays, "textcat"),
            BagOfNgrams.from_arrays(arrays, "scope"),
            MentionMatcher(cut["ids"], cut["tokens"], cut["keys"], cut["tied"]),
            symbols,
        )

    def _number(self, word: str) -> int:
        """spaCy's number of a token's text (its ORTH): a reserved string's symbol id, else its hash."""
        found = self._symbols.get(word)
        return found if found is not None else string_hash(word)

    def _orths(self, words: Sequence[str]) -> list[int]:
        return [self._orth(word) for word in words]

    def tokens(self, text: str) -> tuple[list[str], list[bool]]:
        """The pipeline tokenizer's tokens of ``text`` and their trailing spaces (spaCy's ChineseTokenizer, jieba)."""
        return words_and_spaces([word for word in cut(self.segmenter, text) if word], text)

    def analyse(self, text: str, *, element: bool = True) -> Analysis:
        """Element asked and item mentions in a normalised question (``element=False``: mentions and scope only,
        the element left None: a long message's element is read in its ask)."""
        words, spaces = self.tokens(text)
        spans = self.mentions(words)
        mentions = sorted(
            ((ent_id, _span_text(words, spaces, start, end)) for start, end, ent_id in spans), key=lambda m: -len(m[1])
        )
        out_of_scope = self.scope(self._orths(words)).get(OUT, 0.0)
        # what is asked is read around the names, each written as the placeholder the classifier learnt with
        parts, start = [], 0
        for begin, end, _ in spans:
            parts += [_span_text(words, spaces, start, begin), PLACEHOLDER]
            start = end
        asked = "".join([*parts, _span_text(words, spaces, start, len(words))])
        label, score = NONE, 1.0  # nothing but a name ("扯证", "新生儿出生一件事"): a general question
        if element and asked.strip(PLACEHOLDER).strip():
            characters = [START, *(c for c in asked if not c.isspace()), END]
            cats = self.element(self._orths(characters))
            label, score = max(cats.items(), key=lambda kv: kv[1])
        return Analysis(
            element=None if label == NONE else label,
            element_score=float(score),
            mentions=mentions,
            out_of_scope=float(out_of_scope),
        )
