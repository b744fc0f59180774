"""The retrieval index: BM25 over jieba tokens, sentence embeddings in FAISS, and the spaCy pipeline, built
from one or more catalogues and saved in a directory with a manifest.

A directory is named by a key of the catalogue files' content and the settings, so a changed catalogue or
setting means a new build; every artefact's sha256 is in the manifest and checked on load, so a corrupt index
is rebuilt, never silently used.

Loading takes seconds even for a city's 30,000 items because whatever costs time to recompute is computed at
build and saved: the index's own jieba segmenter with the catalogue's names (``jieba.cache``; no process-wide
jieba is touched, see :mod:`nlu.segmenter`), the mention phrases
cut into tokens (``spacy/mention_tokens.json``) and the classifiers' weights (``spacy/classifiers.npz``: spaCy
trains the pipeline, :class:`~nlu.reader.ElementReader` serves it without spaCy), the pinyin table of typo repair
(``pinyin.json``), the tokens that name each entry with their counts (``naming.json``), the entries' ids, names
and kinds (``entries.json``) and priors (``priors.npy``). Guides are parsed and validated only when an answer quotes one
(``entries.jsonl``); the default embedding model is served by numpy (:class:`~assistant.retrieval.embedding.StaticEncoder`),
BM25 by numpy over bm25s' matrices (:class:`~assistant.retrieval.bm25.Bm25Scores`: ``bm25/`` of what names each
entry, ``guides_bm25/`` of each whole guide); the hashes are checked on a
second thread while the libraries import.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
from pydantic import BaseModel

from assistant.retrieval.bm25 import Bm25Retriever, Bm25Scores, guide_words, tokens
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.types import IndexError_, without_act
from knowledge.additions import FILE as ADDITIONS
from knowledge.catalogue import BUNDLED
from nlu import sampling
from nlu.elements import OUT_OF_SCOPE, TEMPLATES, ElementPipeline
from nlu.normalize import LEXICON, Normaliser
from nlu.reader import ElementReader
from nlu.segmenter import (
    Segmenter,
    forget_cuts,
    load_segmenter,
    new_segmenter,
    save_segmenter,
    teach,
    word_frequencies,
)

QUESTION_FRAMES = TEMPLATES.with_name("question_frames.yaml")  # the embedding model's question frames

if TYPE_CHECKING:
    from knowledge.catalogue import Catalogue
    from knowledge.schema import Bundle, Contacts, Item

FORMAT = 28
SCOPE_QUESTIONS = 3000  # FAQ questions the scope classifier learns from, at most
# material names people write in a question (结婚证, 户口簿, 出生医学证明), in scope for the scope classifier; longer
# ones are formal titles (《居民身份证申领登记表》) nobody types
SHORT_MATERIAL = 8
Progress = Callable[[str], None]
# artefacts a loadable index must list in its manifest (the embedding model adds static/ or model/)
REQUIRED = (
    "entries.jsonl",
    "entries.json",
    "naming.json",
    "priors.npy",
    "vocabulary.json",
    "pinyin.json",
    "jieba.cache",
    "vectors.faiss",
    "spacy/mention_tokens.json",
    "spacy/classifiers.npz",
)


class IndexSettings(BaseModel):
    """What an index is built with; any change makes a new index."""

    model: str = "local-static"  # or any sentence-transformers model name / local path
    dim: int = 256
    seed: int = 13
    members: int = 5  # default models trained (seeds seed, seed+1, …) and served as one (see StaticEncoder)
    epochs: int = 2  # at least; small catalogues get more passes (see min_steps)
    min_steps: int = 300
    # bounds the embedding training at city scale: pairs are drawn (seeded) from all entries, so a 30,000-item
    # catalogue trains on at most max_pairs pairs for `epochs` passes (about 940 steps of 128), not on all
    max_pairs: int = 60_000


def catalogue_files(directories: Sequence[Path]) -> list[Path]:
    """Every file whose content defines the catalogues, in a stable order."""
    files: list[Path] = []
    for directory in directories:
        files += [directory / "catalogue.yaml"]
        files += sorted((directory / "items").rglob("*.yaml"))
        files += sorted((directory / "bundles").glob("*.yaml"))
        files += [p for p in [directory / ADDITIONS] if p.is_file()]  # reviewed aliases and FAQ (knowledge.additions)
    return files


def index_key(directories: Sequence[Path], settings: IndexSettings) -> str:
    """Content key of catalogues + settings + lexicon: the name of the index directory."""
    h = hashlib.sha256()
    h.update(f"format={FORMAT}".encode())
    h.update(settings.model_dump_json().encode())
    h.update(LEXICON.read_bytes())
    h.update(TEMPLATES.read_bytes())  # the element classifier is trained from them
    h.update(OUT_OF_SCOPE.read_bytes())  # and the scope classifier from them and these
    h.update(QUESTION_FRAMES.read_bytes())  # the embedding model's anchors
    for path in catalogue_files(directories):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _sha(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def mention_phrases(entry: Item | Bundle) -> list[str]:
    """Names that refer to an entry: its name and aliases."""
    return [entry.name, *entry.aliases]


SHORT_NAME = 3  # characters a name without its act keeps at least (临时救助, not 救助)


def short_names(names: Sequence[str], uncovered: Sequence[str] = ()) -> dict[str, int]:
    """Each formal name without the act it ends with, where that names one entry alone: part of no other entry's
    name and of no service the catalogue lacks ("食品经营许可证" -> 食品经营许可证核发; not 普通护照, which 签发 and
    补发 share, nor 往来港澳通行证, part of 往来港澳通行证签注, nor 居住证, part of the 工作居住证 the catalogue
    lacks). Short name -> entry position."""
    shorts = {i: without_act(name) for i, name in enumerate(names)}
    shorts = {i: short for i, short in shorts.items() if short != names[i] and len(short) >= SHORT_NAME}
    others = [*names, *uncovered]
    by_pair: dict[str, set[int]] = {}  # the character pairs of each name: the only names a short one can be part of
    for i, name in enumerate(others):
        for k in range(len(name) - 1):
            by_pair.setdefault(name[k : k + 2], set()).add(i)
    found: dict[str, int] = {}
    for i, short in shorts.items():
        near = by_pair.get(short[:2], set()) & by_pair.get(short[-2:], set())
        if not any(short in others[j] for j in near if j != i):
            found[short] = i
    return found


def naming_phrases(entry: Item | Bundle) -> list[str]:
    """What names an entry in a question: name, aliases and FAQ questions (a bundle has no FAQ)."""
    return [entry.name, *entry.aliases, *(f.question for f in getattr(entry, "faq", []))]


def search_text(entry: Item | Bundle) -> str:
    """What BM25 and the embedding model see of an entry (before normalisation)."""
    from knowledge.schema import Item

    parts = [entry.name, entry.name, *entry.aliases]
    if isinstance(entry, Item):
        parts += [entry.handling_item, *(f.question for f in entry.faq)]
    parts.append(entry.overview)
    return " ".join(parts)


def draw_anchors(entries: Sequence[Item | Bundle], limit: int, seed: int) -> list[tuple[str, int]]:
    """The (anchor, entry position) pairs the embedding model trains on, before normalisation: names, aliases,
    FAQ questions and questions built from them with ``question_frames.yaml`` (so the question words carry no
    item); a seeded sample of at most ``limit`` of them.

    Each name's frame, and which anchors the sample keeps, are fixed by their texts (:mod:`nlu.sampling`), so an
    alias added to one entry changes no other entry's anchors."""
    import yaml

    from knowledge.schema import Item

    templates = yaml.safe_load(QUESTION_FRAMES.read_text(encoding="utf-8"))
    drawn: list[tuple[str, int]] = []
    for position, entry in enumerate(entries):
        anchors = [*mention_phrases(entry)]
        if isinstance(entry, Item):
            anchors += [f.question for f in entry.faq]
            if entry.handling_item != entry.name:
                anchors.append(entry.handling_item)
        names = mention_phrases(entry)
        anchors += [templates[sampling.digest(seed, name) % len(templates)].format(x=name) for name in names]
        drawn += [(a, position) for a in dict.fromkeys(anchors) if a]
    # the same anchor of two entries ("办证" of both) stays two pairs, each named by its entry's id
    kept = sampling.order(drawn, [f"{entries[i].id}:{a}" for a, i in drawn], seed)
    return kept[:limit]


def faq_sample(entries: Sequence[Item | Bundle], limit: int, seed: int) -> list[str]:
    """At most ``limit`` of the catalogue's FAQ questions, a seeded sample: real questions about its entries."""
    questions = sorted({f.question for e in entries for f in getattr(e, "faq", [])})
    return sampling.pick(questions, limit, seed)


@dataclass
class _Source:
    """What a build needs of a catalogue, taken out of it so the catalogue (hundreds of megabytes of validated
    guides at city scale) can be freed before the models train."""

    version: str
    names_of_catalogues: list[str]
    contacts: dict | None  # the first catalogue's human channel, which replies name
    uncovered: list[str]  # services the catalogues say they lack (catalogue.yaml's uncovered), which refusals name
    ids: list[str]
    names: list[str]
    kinds: list[str]
    priors: np.ndarray
    texts: list[str]  # search_text, not normalised
    guides: list[str]  # each whole guide as render_guide writes it (searched as written: see Bm25Retriever)
    mentions: list[list[str]]  # mention_phrases
    naming: list[str]  # naming_phrases joined, not normalised
    materials: set[str]
    anchors: list[tuple[str, int]]  # draw_anchors
    questions: list[str]  # FAQ questions (a seeded sample): in-scope examples for the scope classifier
    offsets: list[int]  # of the lines of entries.jsonl, written into the staging directory

    @classmethod
    def take(cls, catalogue: Catalogue, settings: IndexSettings, entries_file: Path) -> _Source:
        from assistant.retrieval.embedding import LOCAL_DEFAULT
        from knowledge.catalogue import completeness
        from knowledge.render import render_guide
        from knowledge.schema import Bundle, Item

        entries = catalogue.entries()
        offsets = [0]
        with entries_file.open("wb") as fh:
            for e in entries:
                line = e.model_dump_json().encode() + b"\n"
                fh.write(line)
                offsets.append(offsets[-1] + len(line))
        return cls(
            version=catalogue.version(),
            names_of_catalogues=[info.name for info in catalogue.infos],
            contacts=catalogue.infos[0].contacts.model_dump() if catalogue.infos[0].contacts else None,
            uncovered=list(dict.fromkeys(phrase for info in catalogue.infos for phrase in info.uncovered)),
            ids=[e.id for e in entries],
            names=[e.name for e in entries],
            kinds=["bundle" if isinstance(e, Bundle) else "item" for e in entries],
            priors=np.array(
                [1.0 if isinstance(e, Bundle) else 0.5 + 0.5 * completeness(e) for e in entries], dtype="float32"
            ),
            texts=[search_text(e) for e in entries],
            guides=[render_guide(e, catalogue) for e in entries],
            mentions=[mention_phrases(e) for e in entries],
            naming=[" ".join(naming_phrases(e)) for e in entries],
            materials={m.name for e in entries if isinstance(e, Item) for m in e.materials},
            anchors=draw_anchors(entries, settings.max_pairs, settings.seed) if settings.model == LOCAL_DEFAULT else [],
            questions=faq_sample(entries, SCOPE_QUESTIONS, settings.seed),
            offsets=offsets,
        )


def _pinyin_table(normaliser: Normaliser) -> list:
    """The normaliser's pinyin -> word table as JSON data (computed once, at build)."""
    return [[list(syllables), list(words)] for syllables, words in normaliser._by_pinyin.items()]


def _seed_pinyin_table(normaliser: Normaliser, table: list) -> None:
    """Give a fresh normaliser the table saved at build, instead of computing the pinyin of every vocabulary
    word on its first question (seconds at city scale). The table is a pure function of the vocabulary,
    which is saved beside it, so the answers do not change."""
    if isinstance(getattr(type(normaliser), "_by_pinyin", None), functools.cached_property):
        normaliser.__dict__["_by_pinyin"] = {tuple(syllables): tuple(words) for syllables, words in table}


class LazyEntries(Sequence):
    """The index's items and bundles, parsed and validated from ``entries.jsonl`` when first read.

    A question needs one guide (the one it answers from), so loading 30,000 validated guides up front would
    spend seconds and hundreds of megabytes for nothing. The file's sha256 has been checked on load.

    Args:
        data: the content of ``entries.jsonl`` (one JSON object per line).
        offsets: start of each line in ``data``, plus its end.
        kinds: "item" or "bundle" per entry.
    """

    def __init__(self, data: bytes, offsets: Sequence[int], kinds: Sequence[str]):
        self._data = data
        self._offsets = list(offsets)
        self._kinds = list(kinds)
        self._parsed: dict[int, Item | Bundle] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kinds)

    @overload
    def __getitem__(self, position: int) -> Item | Bundle: ...

    @overload
    def __getitem__(self, position: slice) -> list[Item | Bundle]: ...

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        entry = self._parsed.get(position)
        if entry is None:
            from knowledge.schema import Bundle, Item

            model = Bundle if self._kinds[position] == "bundle" else Item
            raw = self._data[self._offsets[position] : self._offsets[position + 1]]
            entry = model.model_validate_json(raw)
            with self._lock:
                entry = self._parsed.setdefault(position, entry)
        return entry


class NamingTokens(Sequence):
    """Per entry, the tokens of what names it (name, aliases, FAQ questions), as cut at build by jieba in the state
    of a process that loaded the index; with how many entries each token names.

    A question's own words are weighed against these (rare words weigh more) and checked against its best
    candidate's; each entry's set is made the first time it is asked for.

    Args:
        tokens: per entry, its tokens joined by spaces.
        document_frequency: token -> number of entries whose tokens hold it.
    """

    def __init__(self, tokens: Sequence[str], document_frequency: dict[str, int]):
        self._tokens = tokens
        self._sets: dict[int, frozenset[str]] = {}
        self.document_frequency = document_frequency

    @classmethod
    def load(cls, path: Path) -> NamingTokens:
        """Read ``naming.json``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["tokens"], data["document_frequency"])

    def __len__(self) -> int:
        return len(self._tokens)

    @overload
    def __getitem__(self, position: int) -> frozenset[str]: ...

    @overload
    def __getitem__(self, position: slice) -> list[frozenset[str]]: ...

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        found = self._sets.get(position)
        if found is None:
            found = self._sets[position] = frozenset(self._tokens[position].split())
        return found


class _Verifier:
    """Checks every artefact against the manifest on a second thread, so hashing (hundreds of megabytes at
    city scale) overlaps with importing FAISS instead of adding to it."""

    def __init__(self, directory: Path, files: dict[str, str]):
        self._problem: str | None = None
        self._thread = threading.Thread(target=self._run, args=(directory, files), daemon=True)
        self._thread.start()

    def _run(self, directory: Path, files: dict[str, str]) -> None:
        for rel, digest in files.items():
            path = directory / rel
            try:
                ok = path.is_file() and _sha(path) == digest
            except OSError:
                ok = False
            if not ok:
                self._problem = f"{path} is missing or corrupt; run `assistant index build`"
                return

    def check(self) -> None:
        """Wait for the hashes.

        Raises:
            IndexError_: a file is missing or its hash does not match.
        """
        self._thread.join()
        if self._problem:
            raise IndexError_(self._problem)


@dataclass
class Index:
    """A loaded index, ready to search."""

    directory: Path
    manifest: dict
    entries: Sequence[Item | Bundle]  # validated on first read (LazyEntries)
    ids: list[str]
    names: list[str]
    naming: NamingTokens  # per entry: tokens of its name, aliases and FAQ questions
    priors: np.ndarray  # per entry: 1.0 for a complete guide, less for partly unknown ones
    segmenter: Segmenter  # this index's own jieba: BM25, the normaliser's word table and the pipeline cut with it
    normaliser: Normaliser
    pipeline: ElementReader  # the element, scope and mention pipeline trained with spaCy, served without it
    bm25: Bm25Retriever
    dense: DenseRetriever

    @property
    def contacts(self) -> Contacts | None:
        """The human channel of the catalogue the index was built from (None: it names none)."""
        from knowledge.schema import Contacts

        found = self.manifest.get("contacts")
        return Contacts.model_validate(found) if found else None

    @property
    def uncovered(self) -> list[str]:
        """Services the catalogues the index was built from say they lack (``catalogue.yaml``'s ``uncovered``)."""
        return list(self.manifest.get("uncovered", []))

    @property
    def short_names(self) -> dict[str, str]:
        """Formal names without the act they end with, normalised, that name one entry alone (see
        :func:`short_names`): short name -> entry id."""
        return dict(self.manifest.get("short_names", {}))

    @property
    def stop_words(self) -> frozenset[str]:
        """spaCy's Chinese stop words (没有, 可以, 现在), kept at build so serving needs no spaCy: words that name no
        subject."""
        return frozenset(self.manifest.get("stop_words", []))

    # --- building -----------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        catalogue: Catalogue,
        directory: Path,
        settings: IndexSettings,
        *,
        key: str,
        progress: Progress = lambda _: None,
    ) -> dict:
        """Build every artefact into ``directory`` (written beside it, then moved into place).

        The catalogue is released as soon as what the build needs is taken out of it: pass it without keeping
        a reference (``Index.build(load_directories(...), ...)``) and its memory is free for training.

        Returns:
            The manifest.
        """
        import gc

        start = time.perf_counter()
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            progress(f"reading {len(catalogue.items) + len(catalogue.bundles)} entries")
            source = _Source.take(catalogue, settings, staging / "entries.jsonl")
            del catalogue
            gc.collect()
            manifest = cls._build(source, staging, settings, key=key, progress=progress, start=start)
            if directory.exists():
                shutil.rmtree(directory)
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        progress(f"index ready in {manifest['build_seconds']} s: {directory}")
        return manifest

    @classmethod
    def _build(
        cls, source: _Source, staging: Path, settings: IndexSettings, *, key: str, progress: Progress, start: float
    ) -> dict:
        import gc

        import faiss
        from spacy.lang.zh.stop_words import STOP_WORDS

        from assistant.retrieval.embedding import LOCAL_DEFAULT, StaticEncoder
        from nlu.elements import save_mention_tokens

        steps: dict[str, float] = {"read": round(time.perf_counter() - start, 2)}
        clock = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            steps[name] = round(now - clock[0], 2)
            clock[0] = now

        count = len(source.ids)
        progress(f"indexing {count} entries")
        vocabulary = {p for phrases in source.mentions for p in phrases}
        # the names as written, and their words, are what typo repair repairs towards; they are cut by a jieba
        # of their own, so the index's segmenter holds only what a process loading this index will hold (the
        # normalised names, below): a build then segments, and answers, as every later start does
        named = new_segmenter(sorted(vocabulary))
        vocabulary |= {w for p in [*vocabulary, *source.materials] for w in named.lcut_for_search(p) if len(w) >= 2}
        del named
        segmenter = new_segmenter()
        normaliser = Normaliser(vocabulary, frequencies=word_frequencies(segmenter))
        pinyin = _pinyin_table(normaliser)
        # one string is normalised once per build: names recur as mentions, naming texts and training anchors
        normalise = functools.lru_cache(maxsize=None)(normaliser)
        mentions = {
            entry_id: sorted({normalise(p) for p in phrases} - {""})
            for entry_id, phrases in zip(source.ids, source.mentions, strict=True)
        }
        teach(segmenter, sorted({p for phrases in mentions.values() for p in phrases}))
        lap("vocabulary")

        texts = []
        every = max(1, count // 10)
        for done, text in enumerate(source.texts, 1):
            texts.append(normalise(text))
            if done % every == 0 or done == count:
                progress(f"normalising guide texts {done}/{count}")
        lap("normalise")
        progress("segmenting guide texts for BM25")
        _write_bm25([tokens(t, segmenter) or ["∅"] for t in texts], staging / "bm25")
        # cut line by line (jieba never joins words across a line, so the words are the whole text's), each distinct
        # line once: guides repeat their departments' addresses, hours and laws. One string per distinct word
        # (interned), each guide's text dropped once cut: a city's 30,000 guides are ~20 million words, as many string
        # objects (gigabytes) if each were kept apart
        lines: dict[str, list[str]] = {}
        guide_tokens = []
        for n, text in enumerate(source.guides):
            words = []
            for line in text.split("\n"):
                cut = lines.get(line)
                if cut is None:
                    cut = lines[line] = [sys.intern(w) for w in guide_words(line, segmenter)]
                words += cut
            guide_tokens.append(words or ["∅"])
            source.guides[n] = ""
            if (n + 1) % every == 0 or n + 1 == count:
                progress(f"segmenting whole guides for BM25 {n + 1}/{count}")
        source.guides.clear()
        forget_cuts(segmenter)
        del lines
        _write_bm25(guide_tokens, staging / "guides_bm25")
        del guide_tokens
        lap("bm25")

        progress("training the element classifier (spaCy textcat) and the mention ruler")
        pipeline = ElementPipeline.train(
            mentions,
            segmenter=segmenter,
            seed=settings.seed,
            normalise=normalise,
            in_scope=[normalise(q) for q in source.questions],
            things=sorted({normalise(m) for m in source.materials if len(m) <= SHORT_MATERIAL} - {""}),
            progress=progress,
        )
        pipeline.save(staging / "spacy")
        del pipeline, mentions  # the pattern Docs of the ruler weigh hundreds of megabytes at city scale
        gc.collect()
        lap("spacy")

        # the index's segmenter, taught the normalised names: saved whole, so loading does not rebuild it; the
        # mention phrases and the tokens naming each entry are cut by it, as a process loading the index cuts
        progress("saving the segmenter's dictionary, the mention tokens and the naming tokens")
        save_segmenter(segmenter, staging / "jieba.cache")
        save_mention_tokens(staging / "spacy", segmenter)
        naming = [sorted(set(tokens(normalise(text), segmenter))) for text in source.naming]
        document_frequency = Counter(token for words in naming for token in words)
        lap("naming")

        if settings.model == LOCAL_DEFAULT:
            from assistant.retrieval.embedding import train_static_model

            pairs = [(normalise(anchor), texts[position]) for anchor, position in source.anchors]
            lap("pairs")
            progress(f"training the embedding model on {len(pairs)} pairs")
            last = [0.0]

            def step(done: int, total: int) -> None:
                if time.perf_counter() - last[0] > 2 or done == total:
                    last[0] = time.perf_counter()
                    progress(f"embedding model step {done}/{total}")

            batches = max(1, (len(pairs) + 127) // 128)
            epochs = max(settings.epochs, -(-settings.min_steps // batches))
            trained = []
            for member in range(settings.members):
                progress(f"training embedding model {member + 1} of {settings.members}")
                seed = settings.seed + member
                trained.append(
                    train_static_model(pairs, texts, dim=settings.dim, seed=seed, epochs=epochs, progress=step)
                )
            model = StaticEncoder.from_models(trained)
            model.save(staging / "static")
            del trained, pairs
        else:
            from assistant.retrieval.embedding import load_model

            model = load_model(settings.model)
            model.save(str(staging / "model"))
        lap("embedding model")
        progress("encoding guide texts into FAISS")
        vectors = np.asarray(model.encode(texts, batch_size=256, normalize_embeddings=True), dtype="float32")
        faiss_index = faiss.IndexFlatIP(vectors.shape[1])
        faiss_index.add(vectors)
        faiss.write_index(faiss_index, str(staging / "vectors.faiss"))
        lap("faiss")

        summary = {"ids": source.ids, "names": source.names, "kinds": source.kinds, "offsets": source.offsets}
        (staging / "entries.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
        # one string per entry (jieba tokens hold no space) and the counts, so loading makes no 30,000 sets
        naming_data = {"tokens": [" ".join(words) for words in naming], "document_frequency": document_frequency}
        (staging / "naming.json").write_text(json.dumps(naming_data, ensure_ascii=False), encoding="utf-8")
        np.save(staging / "priors.npy", source.priors, allow_pickle=False)
        (staging / "vocabulary.json").write_text(json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8")
        (staging / "pinyin.json").write_text(json.dumps(pinyin, ensure_ascii=False), encoding="utf-8")
        lap("write")
        manifest = {
            "format": FORMAT,
            "key": key,
            "catalogue_version": source.version,
            "catalogues": source.names_of_catalogues,
            "contacts": source.contacts,
            "uncovered": source.uncovered,
            "stop_words": sorted(STOP_WORDS),
            "short_names": {
                short: source.ids[i]
                for short, i in ((normalise(k), i) for k, i in short_names(source.names, source.uncovered).items())
                if short
            },
            "entries": count,
            "settings": settings.model_dump(),
            "libraries": {
                name: importlib.metadata.version(name)
                for name in (
                    "sentence-transformers",
                    "tokenizers",
                    "faiss-cpu",
                    "bm25s",
                    "spacy",
                    "jieba",
                    "pypinyin",
                    "torch",
                )
            },
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - start, 2),
            "build_steps": steps,
            "files": {p.relative_to(staging).as_posix(): _sha(p) for p in sorted(staging.rglob("*")) if p.is_file()},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return manifest

    # --- loading ------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path, *, verify: bool = True) -> Index:
        """Load a built index.

        Raises:
            IndexError_: missing manifest or artefact, wrong format, or a file whose hash does not match.
        """
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise IndexError_(f"{directory} has no manifest.json; run `assistant index build`")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IndexError_(f"{manifest_path} is corrupt ({exc}); run `assistant index build`") from exc
        if manifest.get("format") != FORMAT:
            raise IndexError_(f"{directory} was built by another version; run `assistant index build`")
        files = manifest.get("files", {})
        static = manifest.get("settings", {}).get("model") == "local-static"
        required = [*REQUIRED, "static/embeddings.npy" if static else "model/modules.json"]
        missing = [rel for rel in required if rel not in files]
        if missing:
            raise IndexError_(f"{directory} lacks {', '.join(missing)}; run `assistant index build`")
        verifier = _Verifier(directory, files) if verify else None
        # imported while the hashes are checked
        import faiss

        if verifier is not None:
            verifier.check()

        data = (directory / "entries.jsonl").read_bytes()
        summary = json.loads((directory / "entries.json").read_text(encoding="utf-8"))
        segmenter = load_segmenter(directory / "jieba.cache")
        normaliser = Normaliser(
            json.loads((directory / "vocabulary.json").read_text(encoding="utf-8")),
            frequencies=word_frequencies(segmenter),
            remember=True,  # a loaded index's segmenter is never taught more words
        )
        _seed_pinyin_table(normaliser, json.loads((directory / "pinyin.json").read_text(encoding="utf-8")))
        if static:
            from assistant.retrieval.embedding import StaticEncoder

            model = StaticEncoder.load(directory / "static")
        else:
            from assistant.retrieval.embedding import load_model

            model = load_model(directory / "model")
        faiss.omp_set_num_threads(1)
        return cls(
            directory=directory,
            manifest=manifest,
            entries=LazyEntries(data, summary["offsets"], summary["kinds"]),
            ids=summary["ids"],
            names=summary["names"],
            naming=NamingTokens.load(directory / "naming.json"),
            priors=np.load(directory / "priors.npy", allow_pickle=False),
            segmenter=segmenter,
            normaliser=normaliser,
            pipeline=ElementReader.load(directory / "spacy", segmenter),
            bm25=Bm25Retriever(
                Bm25Scores.load(directory / "bm25"), segmenter, Bm25Scores.load(directory / "guides_bm25")
            ),
            dense=DenseRetriever(model, faiss.read_index(str(directory / "vectors.faiss"))),
        )


def _write_bm25(corpus: list[list[str]], directory: Path) -> None:
    """Index one token list per entry with bm25s and save its matrices in ``directory`` (see :class:`~assistant.retrieval.bm25.Bm25Scores`)."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    bm25.save(str(directory), show_progress=False)


def default_directories(extra: Iterable[Path] = (), *, bundled: bool = True) -> list[Path]:
    """The catalogue directories an index covers, bundled first."""
    return ([BUNDLED] if bundled else []) + [Path(p).resolve() for p in extra]


def open_index(
    directories: Sequence[Path],
    root: Path,
    settings: IndexSettings | None = None,
    *,
    progress: Progress = lambda _: None,
    rebuild: bool = False,
    catalogue: Catalogue | None = None,
) -> Index:
    """The index for these catalogues and settings, built first when missing, stale or corrupt.

    ``catalogue``, when the caller has already loaded these directories, is built from instead of loading them
    again (a minute at city scale).

    Raises:
        knowledge.errors.CatalogueError: a catalogue does not validate (nothing is built).
    """
    settings = settings or IndexSettings()
    key = index_key(directories, settings)
    directory = root / key
    if not rebuild:
        try:
            return Index.load(directory)
        except IndexError_ as exc:
            if directory.exists():
                progress(f"rebuilding: {exc}")
    from knowledge.loader import load_directories

    # one loaded here is passed on without a name, so the build can free it once it has taken what it needs
    Index.build(
        catalogue if catalogue is not None else load_directories(directories),
        directory,
        settings,
        key=key,
        progress=progress,
    )
    return Index.load(directory)
