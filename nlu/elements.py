"""The spaCy pipeline of question answering: jieba tokens, an EntityRuler that finds item and bundle mentions,
a text classifier for the guide element a question asks about, and one for whether it is about any service.

The pipeline is blank Chinese (no model download) with the jieba segmenter, trained locally in seconds:

- ``textcat`` (the element) reads character n-grams of the question with each mention written as a placeholder,
  and learns from ``element_templates.yaml`` alone, so it is the same for any catalogue;
- ``scope`` (in or out of scope) reads jieba words; it learns from the templates filled with the catalogue's
  names and its FAQ questions (in scope) against ``out_of_scope.yaml`` (less any message naming an entry).

Example:
    >>> pipeline = ElementPipeline.train({"resident-id-card-first": ["居民身份证首次申领", "办身份证"]}, seed=1)
    >>> pipeline.analyse("办身份证要带什么").element
    'materials'
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.segmenter import Segmenter, new_segmenter, teach

TEMPLATES = Path(__file__).parent / "element_templates.yaml"
OUT_OF_SCOPE = Path(__file__).parent / "out_of_scope.yaml"  # messages about no service item, by topic
ELEMENTS = (
    "materials",
    "conditions",
    "process",
    "time_limit",
    "fee",
    "location",
    "basis",
    "online",
    "contact",
    "result",
    "visits",
)
NONE = "none"
IN_SCOPE, OUT = "in_scope", "out_of_scope"  # the labels of the scope classifier
NGRAMS = 3  # character n-grams the element classifier reads
PLACEHOLDER = "Ⓧ"  # stands for a mentioned item in what the element classifier reads
START, END = "⊢", "⊣"  # frame what the element classifier reads (no normalised question holds them)
MENTION_TOKENS = "mention_tokens.json"  # the ruler's phrases cut into tokens, saved beside the pipeline
_SEP = "\x1f"  # joins a phrase's tokens (a normalised phrase holds no control character)


@dataclass
class Analysis:
    """What the pipeline read in a question."""

    element: str | None  # an ELEMENTS key, or None for a general question
    element_score: float
    mentions: list[tuple[str, str]]  # (entry id, matched text), longest first
    out_of_scope: float = 0.0  # the scope classifier's probability that the message is about no service item


def use_segmenter(nlp, segmenter: Segmenter) -> None:
    """Make a Chinese pipeline cut its text with ``segmenter`` (an index's own jieba, see :mod:`nlu.segmenter`).

    Pipelines are created and saved with spaCy's character segmenter, so spaCy never sets up the process-wide
    jieba for them; the segmenter is given here, after creating or loading.
    """
    nlp.tokenizer.segmenter = "jieba"
    nlp.tokenizer.jieba_seg = segmenter


def with_entity_ruler(path: Path, segmenter: Segmenter):
    """A saved pipeline loaded the slow way, with spaCy's own EntityRuler cutting its patterns with ``segmenter``
    (what :class:`MentionMatcher` reproduces; for checking it)."""
    nlp = import_spacy().load(path, exclude=["entity_ruler"])
    use_segmenter(nlp, segmenter)
    nlp.add_pipe("entity_ruler", first=True, config={"phrase_matcher_attr": "ORTH"}).from_disk(path / "entity_ruler")
    return nlp


def _blank(segmenter: Segmenter):
    import spacy

    nlp = spacy.blank("zh")
    use_segmenter(nlp, segmenter)
    return nlp


def import_spacy():
    """Import spaCy for loading a trained pipeline, without letting thinc import torch.

    thinc (spaCy's machine-learning library) imports torch at import time whenever it is installed, only to
    offer PyTorch-wrapped layers; this pipeline (jieba tokens, EntityRuler, bag-of-words textcat on numpy) uses
    none of them, and importing torch costs about two seconds of start-up. So, unless torch is already loaded,
    spaCy is imported with torch hidden (thinc then records ``has_torch = False``); torch stays importable
    afterwards for whatever needs it, such as training the embedding model.

    This is the one place product code changes process-wide state, and only for the length of one import: the
    alternative, scoring the two bag-of-n-grams classifiers with numpy as BM25 and the embeddings already are,
    would drop spaCy from serving altogether.

    Returns:
        The ``spacy`` module.
    """
    import sys

    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now raises ImportError
    try:
        import spacy
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
    return spacy


def _saved_patterns(path: Path) -> list[dict]:
    import json

    patterns_file = path / "entity_ruler" / "patterns.jsonl"
    if not patterns_file.exists():
        return []
    return [json.loads(line) for line in patterns_file.read_text(encoding="utf-8").splitlines()]


def save_mention_tokens(path: Path, segmenter) -> None:
    """Cut the saved pipeline's mention phrases into tokens as a fresh process will, and save them beside it.

    spaCy's EntityRuler cuts every phrase with jieba again on each load and creates a lexeme per pattern key
    (0.2-0.4 ms a pattern: ten seconds for a city's catalogue); with the tokens saved,
    :meth:`ElementPipeline.load` builds a :class:`MentionMatcher` that finds the same mentions in milliseconds.

    Args:
        path: the directory :meth:`ElementPipeline.save` wrote.
        segmenter: the segmenter of the index this pipeline belongs to (see :mod:`nlu.segmenter`), so the tokens
            are those the EntityRuler would make when the pipeline is loaded with it.
    """
    import json

    nlp = _blank(segmenter)  # the same tokenizer code (spaCy's), cutting with that jieba
    config = json.loads((path / "entity_ruler" / "cfg").read_text(encoding="utf-8"))
    patterns = _saved_patterns(path)
    cut = [[token.text for token in nlp.tokenizer(p["pattern"])] for p in patterns]
    if any(_SEP in word for words in cut for word in words):
        raise ValueError(f"a mention phrase holds {_SEP!r}, which separates tokens in {MENTION_TOKENS}")
    data = {
        "ent_id_sep": config.get("ent_id_sep", "||"),
        "labels": [p["label"] for p in patterns],
        "ids": [p.get("id") for p in patterns],
        # one string per pattern: thousands of small JSON lists parse several times slower
        "tokens": [_SEP.join(words) for words in cut],
    }
    (path / MENTION_TOKENS).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


class MentionMatcher:
    """The mentions spaCy's EntityRuler finds with this pipeline's phrase patterns, without its load cost.

    It reproduces the ruler as used here (first in the pipeline, phrase patterns matched on ORTH, no
    overwriting): every span whose tokens are a pattern's tokens is a match, in the PhraseMatcher's order (by
    start, then end, then the order of the keys stored for that phrase); the ruler collects the matches in a set
    of ``(key hash, start, end)``, sorts them longest first, then leftmost, and keeps each one that neither starts
    nor ends on a token already taken. Building the same set in the same order keeps even its choice among
    patterns of several entries with one phrase (a shared alias). ``tests/assistant/test_index.py`` checks the
    result against the ruler itself.

    Args:
        vocab: the pipeline's vocabulary.
        labels: each pattern's label, in the ruler's order.
        ids: each pattern's entry id (None for a pattern without one).
        tokens: each pattern's tokens, joined by ``"\\x1f"`` (see :func:`save_mention_tokens`).
        ent_id_sep: the ruler's separator of label and entry id in a pattern key.
    """

    def __init__(
        self, vocab, labels: Sequence[str], ids: Sequence[str | None], tokens: Sequence[str], ent_id_sep: str = "||"
    ):
        from spacy.strings import hash_string

        keys = [
            f"{label}{ent_id_sep}{i}" if isinstance(i, str) else label for label, i in zip(labels, ids, strict=True)
        ]
        self._phrases: dict[str, list[tuple[int, str]]] = {}
        for key, ent_id, phrase in zip(keys, ids, tokens, strict=True):
            if not phrase:
                continue  # the PhraseMatcher skips an empty pattern
            m_id = hash_string(key)
            found = self._phrases.get(phrase)
            if found is None:
                self._phrases[phrase] = [(m_id, ent_id if isinstance(ent_id, str) else "")]
            elif all(m_id != known for known, _ in found):
                found.append((m_id, ent_id if isinstance(ent_id, str) else ""))
        self._ids = {m_id: ent_id for found in self._phrases.values() for m_id, ent_id in found}
        # the beginnings of phrases of several tokens: where the walk over a question goes on
        self._prefixes: set[str] = set()
        for phrase in self._phrases:
            if _SEP in phrase:
                words = phrase.split(_SEP)
                self._prefixes.update(_SEP.join(words[:n]) for n in range(1, len(words)))
        tied = {phrase for phrase, found in self._phrases.items() if len(found) > 1}
        if tied:
            self._order_tied(vocab, keys, tokens, tied)

    def _order_tied(self, vocab, keys: Sequence[str], tokens: Sequence[str], tied: set[str]) -> None:
        """Order the keys of phrases shared by several entries as the PhraseMatcher stores them.

        The order of keys at a phrase depends only on the keys added there and their order, so a matcher
        holding just these patterns, added in the ruler's order, gives it.
        """
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        matcher = PhraseMatcher(vocab, attr="ORTH")
        for key, phrase in zip(keys, tokens, strict=True):
            if phrase in tied:
                matcher.add(key, [[vocab.strings.add(word) for word in phrase.split(_SEP)]])
        for phrase in tied:
            words = phrase.split(_SEP)
            doc = Doc(vocab, words=words, spaces=[False] * len(words))
            ids = dict(self._phrases[phrase])
            order = [m_id for m_id, start, end in matcher(doc) if (start, end) == (0, len(words))]
            self._phrases[phrase] = [(m_id, ids[m_id]) for m_id in order]

    def __call__(self, doc) -> list[tuple[int, int, str]]:
        """(start, end, entry id) of the mentions the EntityRuler would mark in ``doc``, by start."""
        words = [token.text for token in doc]
        matches = []
        for start in range(len(words)):
            for end in range(start + 1, len(words) + 1):
                part = _SEP.join(words[start:end])
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


def _bag_of_ngrams(size: int) -> dict:
    """A textcat's config: spaCy's bag-of-n-grams model, one label per text."""
    return {
        "model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": size,
            "no_output_layer": False,
            "length": 262144,
        }
    }


def characters(nlp, text: str):
    """A Doc of one token per character, for the element classifier.

    What is asked shows in a few characters (多久, 几天, 在哪, 带什么); read by jieba words, a question whose words the
    catalogue's names glue together (领失业金, 残疾证怎么办) would show the classifier nothing it knows. The text is
    framed by a start and an end mark, so the n-grams tell "…怎么办" at the end (a general question) from
    "…怎么办理" (the process).
    """
    from spacy.tokens import Doc

    chars = [START, *(c for c in text if not c.isspace()), END]
    return Doc(nlp.vocab, words=chars, spaces=[False] * len(chars))


class ElementPipeline:
    """spaCy pipeline with an ``entity_ruler`` (item mentions), a ``textcat`` (element asked) and a ``scope``
    classifier (about a service or not)."""

    def __init__(self, nlp, mentions: MentionMatcher | None = None):
        self.nlp = nlp
        # when set, finds the mentions instead of an entity_ruler in ``nlp`` (a pipeline loaded fast)
        self.mentions = mentions

    @staticmethod
    def in_scope_examples(
        mentions: Mapping[str, Sequence[str]],
        seed: int,
        per_template: int = 6,
        normalise: Callable[[str], str] = str,
        things: Sequence[str] = (),
    ) -> list[str]:
        """The scope classifier's in-scope questions: every template filled with names drawn from the catalogue,
        or with ``things`` its guides mention."""
        rng = random.Random(seed)
        templates: dict[str, list[str]] = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
        phrases = sorted({p for names in mentions.values() for p in names} | set(things))
        out = []
        for patterns in templates.values():
            for pattern in patterns:
                if "{x}" not in pattern:
                    out.append(normalise(pattern))
                    continue
                for phrase in rng.sample(phrases, min(per_template, len(phrases))):
                    out.append(normalise(pattern.format(x=phrase)))
        rng.shuffle(out)
        return out

    @staticmethod
    def element_examples(normalise: Callable[[str], str] = str) -> list[tuple[str, str]]:
        """(text, label) pairs for the element classifier: every template once, its item written as
        :data:`PLACEHOLDER`, as :meth:`analyse` writes the mentions of a question.

        So the classifier learns the words of asking (要带什么, 多久, 在哪) and nothing of the names that happen to
        fill a template: it is the same whatever the catalogue, however large.
        """
        templates: dict[str, list[str]] = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
        pairs = {
            (PLACEHOLDER.join(normalise(part) for part in pattern.split("{x}")), label)
            for label, patterns in templates.items()
            for pattern in patterns
        }
        return sorted(pair for pair in pairs if pair[0].strip(PLACEHOLDER))

    @staticmethod
    def out_of_scope_examples(
        mentions: Mapping[str, Sequence[str]], normalise: Callable[[str], str] = str, path: Path = OUT_OF_SCOPE
    ) -> list[str]:
        """The out-of-scope messages of ``path``, normalised, less any that names an entry of this catalogue.

        A city whose catalogue holds 公租房 must not learn that a question about it is out of scope.
        """
        topics: dict[str, list[str]] = yaml.safe_load(path.read_text(encoding="utf-8"))
        phrases = {p for names in mentions.values() for p in names if len(p) >= 2}
        out = []
        for messages in topics.values():
            for message in messages:
                text = normalise(message)
                if text and not any(p in text for p in phrases):
                    out.append(text)
        return sorted(set(out))

    @classmethod
    def train(
        cls,
        mentions: Mapping[str, Sequence[str]],
        *,
        segmenter: Segmenter | None = None,
        seed: int = 13,
        epochs: int = 12,
        normalise: Callable[[str], str] = str,
        in_scope: Sequence[str] = (),
        things: Sequence[str] = (),
        progress: Callable[[str], None] = lambda _: None,
    ) -> ElementPipeline:
        """Build the ruler from ``mentions`` (entry id -> names and aliases) and train the classifier.

        Args:
            mentions: entry id -> the phrases that name it (already normalised).
            segmenter: the index's segmenter, taught the phrases here; a new one when None.
            seed: fixes sampling and initialisation, so a build is reproducible.
            epochs: passes over the generated examples.
            normalise: applied to every generated question, as it is to real ones.
            in_scope: more questions about the catalogue's entries (its FAQ, normalised) for the scope classifier.
            progress: called with a short status line per epoch.
        """
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        segmenter = segmenter if segmenter is not None else new_segmenter()
        teach(segmenter, [p for names in mentions.values() for p in names])
        nlp = _blank(segmenter)
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
        textcat = nlp.add_pipe("textcat", config=_bag_of_ngrams(NGRAMS))
        scope = nlp.add_pipe("textcat", name="scope", config=_bag_of_ngrams(2))
        labels = [*ELEMENTS, NONE]
        for label in labels:
            textcat.add_label(label)
        scope.add_label(IN_SCOPE)
        scope.add_label(OUT)
        data = cls.in_scope_examples(mentions, seed, normalise=normalise, things=things)
        examples = [
            Example.from_dict(characters(nlp, text), {"cats": {lab: float(lab == label) for lab in labels}})
            for text, label in cls.element_examples(normalise)
        ]
        # in scope: the element questions (every one names an entry or follows one up) and the FAQ; out of
        # scope: the corpus, repeated to about a third of the element questions so neither side swamps the other
        outside = cls.out_of_scope_examples(mentions, normalise)
        repeat = max(1, len(data) // (3 * max(1, len(outside))))
        inside = data + [text for text in in_scope if text]
        scope_examples = [
            Example.from_dict(nlp.make_doc(text), {"cats": {IN_SCOPE: 1.0, OUT: 0.0}}) for text in inside
        ] + [Example.from_dict(nlp.make_doc(text), {"cats": {IN_SCOPE: 0.0, OUT: 1.0}}) for text in outside] * repeat
        # each classifier gets its labels named, or both would take every label seen in the examples
        nlp.config["initialize"]["components"] = {"textcat": {"labels": labels}, "scope": {"labels": [IN_SCOPE, OUT]}}
        optimizer = nlp.initialize(lambda: examples + scope_examples)
        optimizer.learn_rate = 0.005
        # patterns go in after initialize(), which resets the ruler
        ruler.add_patterns(
            [
                {"label": "ITEM", "pattern": phrase, "id": entry_id}
                for entry_id, names in mentions.items()
                for phrase in names
            ]
        )
        # one shuffle each, so the element classifier's training does not depend on the catalogue's examples
        rng, scope_rng = random.Random(seed), random.Random(seed + 1)
        for epoch in range(epochs):
            rng.shuffle(examples)
            scope_rng.shuffle(scope_examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=64):
                nlp.update(batch, sgd=optimizer, losses=losses, exclude=["entity_ruler", "scope"])
            for batch in minibatch(scope_examples, size=64):
                nlp.update(batch, sgd=optimizer, losses=losses, exclude=["entity_ruler", "textcat"])
            progress(
                f"element and scope classifiers epoch {epoch + 1}/{epochs}, "
                f"loss {losses.get('textcat', 0):.3f} / {losses.get('scope', 0):.3f}"
            )
        return cls(nlp)

    def save(self, path: Path) -> None:
        """Write the pipeline (ruler patterns and classifier weights) to a directory."""
        self.nlp.to_disk(path)

    @classmethod
    def load(cls, path: Path, segmenter: Segmenter) -> ElementPipeline:
        """Load a saved pipeline that cuts text with ``segmenter``.

        Args:
            path: the directory :meth:`save` wrote.
            segmenter: the segmenter of the index this pipeline belongs to, which knows its mention phrases.
        """
        import json

        spacy = import_spacy()
        nlp = spacy.load(path, exclude=["entity_ruler"])
        use_segmenter(nlp, segmenter)
        cut = json.loads((path / MENTION_TOKENS).read_text(encoding="utf-8"))
        return cls(nlp, MentionMatcher(nlp.vocab, cut["labels"], cut["ids"], cut["tokens"], cut["ent_id_sep"]))

    def analyse(self, text: str) -> Analysis:
        """Element asked and item mentions in a normalised question."""
        doc = self.nlp.make_doc(text)
        if self.mentions is None:
            doc = self.nlp.get_pipe("entity_ruler")(doc)
            spans = [(ent.start, ent.end, ent.ent_id_) for ent in doc.ents]
        else:
            spans = self.mentions(doc)
        mentions = sorted(((ent_id, doc[start:end].text) for start, end, ent_id in spans), key=lambda m: -len(m[1]))
        out_of_scope = self.nlp.get_pipe("scope")(doc).cats.get(OUT, 0.0)
        # what is asked is read around the names, each written as the placeholder the classifier learnt with
        parts, start = [], 0
        for begin, end, _ in spans:
            parts += [doc[start:begin].text, PLACEHOLDER]
            start = end
        asked = "".join([*parts, doc[start:].text])
        label, score = NONE, 1.0  # nothing but a name ("扯证", "新生儿出生一件事"): a general question
        if asked.strip(PLACEHOLDER).strip():
            cats = self.nlp.get_pipe("textcat")(characters(self.nlp, asked)).cats
            label, score = max(cats.items(), key=lambda kv: kv[1])
        return Analysis(
            element=None if label == NONE else label,
            element_score=float(score),
            mentions=mentions,
            out_of_scope=float(out_of_scope),
        )
