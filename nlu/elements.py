"""The spaCy pipeline of question answering: jieba tokens, an EntityRuler that finds item and bundle mentions,
and a text classifier for the guide element a question asks about.

The pipeline is blank Chinese (no model download) with the jieba segmenter; the classifier is trained locally
from ``element_templates.yaml`` filled with the catalogue's own names, in a few seconds.

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

TEMPLATES = Path(__file__).parent / "element_templates.yaml"
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


@dataclass
class Analysis:
    """What the pipeline read in a question."""

    element: str | None  # an ELEMENTS key, or None for a general question
    element_score: float
    mentions: list[tuple[str, str]]  # (entry id, matched text), longest first


def _blank():
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})


def add_user_words(words: Sequence[str]) -> None:
    """Teach jieba the catalogue's names and aliases so they stay whole tokens."""
    import jieba

    for word in words:
        if len(word) >= 2:
            jieba.add_word(word, freq=2_000_000)


class ElementPipeline:
    """spaCy pipeline with an ``entity_ruler`` (item mentions) and a ``textcat`` (element asked)."""

    def __init__(self, nlp):
        self.nlp = nlp

    @staticmethod
    def examples(
        mentions: Mapping[str, Sequence[str]], seed: int, per_template: int = 6, normalise: Callable[[str], str] = str
    ) -> list[tuple[str, str]]:
        """(text, label) training pairs: every template filled with names drawn from the catalogue."""
        rng = random.Random(seed)
        templates: dict[str, list[str]] = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
        phrases = sorted({p for names in mentions.values() for p in names})
        out = []
        for label, patterns in templates.items():
            for pattern in patterns:
                if "{x}" not in pattern:
                    out.append((normalise(pattern), label))
                    continue
                for phrase in rng.sample(phrases, min(per_template, len(phrases))):
                    out.append((normalise(pattern.format(x=phrase)), label))
        rng.shuffle(out)
        return out

    @classmethod
    def train(
        cls,
        mentions: Mapping[str, Sequence[str]],
        *,
        seed: int = 13,
        epochs: int = 12,
        normalise: Callable[[str], str] = str,
        progress: Callable[[str], None] = lambda _: None,
    ) -> ElementPipeline:
        """Build the ruler from ``mentions`` (entry id -> names and aliases) and train the classifier.

        Args:
            mentions: entry id -> the phrases that name it (already normalised).
            seed: fixes sampling and initialisation, so a build is reproducible.
            epochs: passes over the generated examples.
            normalise: applied to every generated question, as it is to real ones.
            progress: called with a short status line per epoch.
        """
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        words = [p for names in mentions.values() for p in names]
        add_user_words(words)
        nlp = _blank()
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
        textcat = nlp.add_pipe(
            "textcat",
            config={
                "model": {
                    "@architectures": "spacy.TextCatBOW.v3",
                    "exclusive_classes": True,
                    "ngram_size": 2,
                    "no_output_layer": False,
                    "length": 262144,
                }
            },
        )
        labels = [*ELEMENTS, NONE]
        for label in labels:
            textcat.add_label(label)
        data = cls.examples(mentions, seed, normalise=normalise)
        examples = [
            Example.from_dict(nlp.make_doc(text), {"cats": {lab: float(lab == label) for lab in labels}})
            for text, label in data
        ]
        optimizer = nlp.initialize(lambda: examples)
        optimizer.learn_rate = 0.005
        # patterns go in after initialize(), which resets the ruler
        ruler.add_patterns(
            [
                {"label": "ITEM", "pattern": phrase, "id": entry_id}
                for entry_id, names in mentions.items()
                for phrase in names
            ]
        )
        rng = random.Random(seed)
        for epoch in range(epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=64):
                nlp.update(batch, sgd=optimizer, losses=losses, exclude=["entity_ruler"])
            progress(f"element classifier epoch {epoch + 1}/{epochs}, loss {losses.get('textcat', 0):.3f}")
        return cls(nlp)

    def save(self, path: Path) -> None:
        """Write the pipeline (ruler patterns and classifier weights) to a directory."""
        self.nlp.to_disk(path)

    @classmethod
    def load(cls, path: Path) -> ElementPipeline:
        """Load a saved pipeline and re-teach jieba the mention phrases."""
        import spacy

        patterns_file = path / "entity_ruler" / "patterns.jsonl"
        if patterns_file.exists():
            import json

            add_user_words(
                [json.loads(line)["pattern"] for line in patterns_file.read_text(encoding="utf-8").splitlines()]
            )
        return cls(spacy.load(path))

    def analyse(self, text: str) -> Analysis:
        """Element asked and item mentions in a normalised question."""
        doc = self.nlp(text)
        label, score = max(doc.cats.items(), key=lambda kv: kv[1]) if doc.cats else (NONE, 0.0)
        mentions = sorted(((ent.ent_id_, ent.text) for ent in doc.ents), key=lambda m: -len(m[1]))
        return Analysis(element=None if label == NONE else label, element_score=float(score), mentions=mentions)
