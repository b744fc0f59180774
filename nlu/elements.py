"""The spaCy pipeline of question answering: jieba tokens, an EntityRuler that finds item and bundle mentions,
a text classifier for the guide element a question asks about, and one for whether it is about any service.

The pipeline is blank Chinese (no model download) with the jieba segmenter, trained locally in seconds:

- ``textcat`` (the element) reads character n-grams of the question with each mention written as a placeholder,
  and learns from ``element_templates.yaml`` alone, so it is the same for any catalogue;
- ``scope`` (in or out of scope) reads jieba words; it learns from the templates filled with the catalogue's
  names and its FAQ questions (in scope) against ``out_of_scope.yaml`` (less any message naming an entry).

spaCy trains the pipeline and saves it; serving reads questions without spaCy (:class:`nlu.reader.ElementReader`),
from what :meth:`ElementPipeline.save` and :func:`save_mention_tokens` export beside it.

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

import numpy as np
import yaml

from nlu import sampling
from nlu.segmenter import Cutter, Segmenter, new_segmenter, teach

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
CLASSIFIERS = "classifiers.npz"  # the classifiers' weights, saved beside the pipeline for serving
PHRASE_SEPARATOR = "\x1f"  # joins a phrase's tokens (a normalised phrase holds no control character)


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
    jieba for them; the segmenter is given here, after creating or loading. spaCy cuts as :func:`nlu.segmenter.cut`
    does (a modal verb apart from the verb jieba joins it to), so the models learn from the words
    :class:`nlu.reader.ElementReader` gives them when serving.
    """
    nlp.tokenizer.segmenter = "jieba"
    nlp.tokenizer.jieba_seg = Cutter(segmenter)


def with_entity_ruler(path: Path, segmenter: Segmenter):
    """A saved pipeline loaded the slow way, with spaCy's own EntityRuler cutting its patterns with ``segmenter``
    (what :class:`nlu.reader.MentionMatcher` reproduces; for checking it)."""
    import spacy

    nlp = spacy.load(path, exclude=["entity_ruler"])
    use_segmenter(nlp, segmenter)
    nlp.add_pipe("entity_ruler", first=True, config={"phrase_matcher_attr": "ORTH"}).from_disk(path / "entity_ruler")
    return nlp


def _blank(segmenter: Segmenter):
    import spacy

    nlp = spacy.blank("zh")
    use_segmenter(nlp, segmenter)
    return nlp


def _saved_patterns(path: Path) -> list[dict]:
    import json

    patterns_file = path / "entity_ruler" / "patterns.jsonl"
    if not patterns_file.exists():
        return []
    return [json.loads(line) for line in patterns_file.read_text(encoding="utf-8").splitlines()]


def save_mention_tokens(path: Path, segmenter) -> None:
    """Save beside the pipeline what :class:`nlu.reader.MentionMatcher` needs to find its EntityRuler's mentions.

    That is each phrase cut into tokens as a fresh process cuts it, the hash of each pattern's key (the ruler
    numbers its matches by it) and, where several entries share a phrase, the order the PhraseMatcher keeps their
    keys in; spaCy computes them here, so serving needs none of it. (spaCy's EntityRuler cuts every phrase with
    jieba again on each load and creates a lexeme per pattern key: 0.2-0.4 ms a pattern, ten seconds for a
    city's catalogue; the matcher is built from the saved tokens in milliseconds.)

    Args:
        path: the directory :meth:`ElementPipeline.save` wrote.
        segmenter: the segmenter of the index this pipeline belongs to (see :mod:`nlu.segmenter`), so the tokens
            are those the EntityRuler would make when the pipeline is loaded with it.
    """
    import json

    nlp = _blank(segmenter)  # the same tokenizer code (spaCy's), cutting with that jieba
    config = json.loads((path / "entity_ruler" / "cfg").read_text(encoding="utf-8"))
    separator = config.get("ent_id_sep", "||")
    patterns = _saved_patterns(path)
    cut = [[token.text for token in nlp.tokenizer(p["pattern"])] for p in patterns]
    if any(PHRASE_SEPARATOR in word for words in cut for word in words):
        raise ValueError(f"a mention phrase holds {PHRASE_SEPARATOR!r}, which separates tokens in {MENTION_TOKENS}")
    # the ruler's key of a pattern, numbered as its PhraseMatcher numbers it
    keys = [f"{p['label']}{separator}{p['id']}" if isinstance(p.get("id"), str) else p["label"] for p in patterns]
    tokens = [PHRASE_SEPARATOR.join(words) for words in cut]
    data = {
        "ids": [p.get("id") for p in patterns],
        # one string per pattern: thousands of small JSON lists parse several times slower
        "tokens": tokens,
        "keys": [nlp.vocab.strings.add(key) for key in keys],
        "tied": _tie_order(nlp.vocab, keys, tokens),
    }
    (path / MENTION_TOKENS).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _tie_order(vocab, keys: Sequence[str], tokens: Sequence[str]) -> list[tuple[str, list[int]]]:
    """For each phrase of several keys (several entries share it), its key hashes in the order the EntityRuler's
    PhraseMatcher stores them, which decides which of them the ruler marks.

    That order depends only on the keys added at the phrase and their order, so a matcher holding just these
    patterns, added in the ruler's order, gives it.
    """
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

    at: dict[str, set[str]] = {}
    for key, phrase in zip(keys, tokens, strict=True):
        if phrase:  # the PhraseMatcher skips an empty pattern
            at.setdefault(phrase, set()).add(key)
    tied = [phrase for phrase, found in at.items() if len(found) > 1]
    matcher = PhraseMatcher(vocab, attr="ORTH")
    for key, phrase in zip(keys, tokens, strict=True):
        if phrase in at and len(at[phrase]) > 1:
            matcher.add(key, [[vocab.strings.add(word) for word in phrase.split(PHRASE_SEPARATOR)]])
    order = []
    for phrase in tied:
        words = phrase.split(PHRASE_SEPARATOR)
        doc = Doc(vocab, words=words, spaces=[False] * len(words))
        order.append((phrase, [m_id for m_id, start, end in matcher(doc) if (start, end) == (0, len(words))]))
    return order


def export_classifiers(nlp, path: Path) -> None:
    """Save the weights of the pipeline's two classifiers and spaCy's reserved strings to ``path``, for
    :class:`nlu.reader.BagOfNgrams` to score as spaCy does.

    Each classifier is ``spacy.TextCatBOW.v3`` with exclusive classes: n-grams of ORTH numbers, a sparse linear
    layer (thinc's ``SparseLinear_v2``: a table of ``length`` slots per label) and a softmax. Anything else (a
    changed config or library) is refused here rather than scored wrongly when serving.

    Raises:
        ValueError: a classifier is not a bag of n-grams as this module configures it.
    """
    import zipfile

    from spacy.attrs import ORTH
    from spacy.symbols import IDS

    arrays: dict[str, np.ndarray] = {}
    for name in ("textcat", "scope"):
        pipe = nlp.get_pipe(name)
        layers = {layer.name: layer for layer in pipe.model.walk()}
        linear = pipe.model.get_ref("output_layer")
        ngrams = layers.get("extract_ngrams")
        if (
            pipe.model.attrs.get("multi_label")
            or "softmax_activation" not in layers
            or ngrams is None
            or ngrams.attrs["attr"] != ORTH
            or linear.name != "sparse_linear"
            or linear.attrs.get("v1_indexing", True)
        ):
            raise ValueError(f"the {name} classifier is not the bag of n-grams {CLASSIFIERS} can hold")
        labels, length = list(pipe.labels), linear.get_dim("length")
        weights = np.asarray(linear.get_param("W"), dtype=np.float32).reshape(len(labels), length)
        arrays[f"{name}.weights"] = np.ascontiguousarray(weights.T)  # a slot's weights side by side
        arrays[f"{name}.bias"] = np.asarray(linear.get_param("b"), dtype=np.float32)
        arrays[f"{name}.labels"] = np.array(labels, dtype=str)
        arrays[f"{name}.ngram_size"] = np.array(ngrams.attrs["ngram_size"], dtype=np.int64)
    arrays["symbols.names"] = np.array(list(IDS), dtype=str)
    arrays["symbols.ids"] = np.array(list(IDS.values()), dtype=np.uint64)
    # np.savez, less the time of writing it stamps on each member: a build is reproducible
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(member, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)


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
    classifier (about a service or not).

    It trains and saves the pipeline; :class:`nlu.reader.ElementReader` serves it without spaCy.
    """

    def __init__(self, nlp):
        self.nlp = nlp

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
        templates: dict[str, list[str]] = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
        phrases = sorted({p for names in mentions.values() for p in names} | set(things))
        base = sampling.digests(phrases)
        out = []
        for patterns in templates.values():
            for pattern in patterns:
                if "{x}" not in pattern:
                    out.append(normalise(pattern))
                    continue
                # drawn by each phrase's text, not its place in the list: a new alias changes a template's fillers
                # only where it is drawn itself (see nlu.sampling)
                for phrase in sampling.pick(phrases, per_template, (seed, pattern), base):
                    out.append(normalise(pattern.format(x=phrase)))
        return sampling.order(out, out, seed)

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
        # each example named by its text (and which copy it is), so each epoch's batches are the texts' (nlu.sampling)
        scope_names = sampling.copies([*inside, *outside * repeat])
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
        # the element classifier's examples are the templates' alone; the scope classifier's come in an order
        # fixed by their texts, so a catalogue edit moves only the examples it adds or removes
        rng = random.Random(seed)
        for epoch in range(epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=64):
                nlp.update(batch, sgd=optimizer, losses=losses, exclude=["entity_ruler", "scope"])
            for batch in sampling.batches(scope_examples, scope_names, 64, (seed, epoch)):
                nlp.update(batch, sgd=optimizer, losses=losses, exclude=["entity_ruler", "textcat"])
            progress(
                f"element and scope classifiers epoch {epoch + 1}/{epochs}, "
                f"loss {losses.get('textcat', 0):.3f} / {losses.get('scope', 0):.3f}"
            )
        return cls(nlp)

    def save(self, path: Path) -> None:
        """Write the pipeline (ruler patterns and classifier weights) to a directory, with the classifiers'
        weights exported for serving (:data:`CLASSIFIERS`; the mention tokens are :func:`save_mention_tokens`'s)."""
        self.nlp.to_disk(path)
        export_classifiers(self.nlp, path / CLASSIFIERS)

    @classmethod
    def load(cls, path: Path, segmenter: Segmenter) -> ElementPipeline:
        """Load a saved pipeline with spaCy, its EntityRuler included (seconds at city scale): what
        :class:`nlu.reader.ElementReader` reproduces, for checking it.

        Args:
            path: the directory :meth:`save` wrote.
            segmenter: the segmenter of the index this pipeline belongs to, which knows its mention phrases.
        """
        return cls(with_entity_ruler(path, segmenter))

    def analyse(self, text: str, *, element: bool = True) -> Analysis:
        """Element asked and item mentions in a normalised question (``element=False``: mentions and scope only)."""
        doc = self.nlp.get_pipe("entity_ruler")(self.nlp.make_doc(text))
        spans = [(ent.start, ent.end, ent.ent_id_) for ent in doc.ents]
        mentions = sorted(((ent_id, doc[start:end].text) for start, end, ent_id in spans), key=lambda m: -len(m[1]))
        out_of_scope = self.nlp.get_pipe("scope")(doc).cats.get(OUT, 0.0)
        # what is asked is read around the names, each written as the placeholder the classifier learnt with
        parts, start = [], 0
        for begin, end, _ in spans:
            parts += [doc[start:begin].text, PLACEHOLDER]
            start = end
        asked = "".join([*parts, doc[start:].text])
        label, score = NONE, 1.0  # nothing but a name ("扯证", "新生儿出生一件事"): a general question
        if element and asked.strip(PLACEHOLDER).strip():
            cats = self.nlp.get_pipe("textcat")(characters(self.nlp, asked)).cats
            label, score = max(cats.items(), key=lambda kv: kv[1])
        return Analysis(
            element=None if label == NONE else label,
            element_score=float(score),
            mentions=mentions,
            out_of_scope=float(out_of_scope),
        )
