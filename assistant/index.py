"""The retrieval index: BM25 over jieba tokens, sentence embeddings in FAISS, and the spaCy pipeline, built
from one or more catalogues and saved in a directory with a manifest.

A directory is named by a key of the catalogue files' content and the settings, so a changed catalogue or
setting means a new build; every artefact's sha256 is in the manifest and checked on load, so a corrupt index
is rebuilt, never silently used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, TypeAdapter

from knowledge.catalogue import BUNDLED, Catalogue, completeness
from knowledge.loader import load_directories
from knowledge.schema import Bundle, Item
from nlu.elements import ElementPipeline
from nlu.normalize import LEXICON, Normaliser

FORMAT = 1
_STOP = set("的了吗么呢吧啊呀要我你他她它是在和与及或也都就还把被给让请问想能会可以怎什哪多少几")
Progress = Callable[[str], None]


class IndexSettings(BaseModel):
    """What an index is built with; any change makes a new index."""

    model: str = "local-static"  # or any sentence-transformers model name / local path
    dim: int = 256
    seed: int = 13
    epochs: int = 2  # at least; small catalogues get more passes (see min_steps)
    min_steps: int = 300
    max_pairs: int = 60_000


class IndexError_(RuntimeError):
    """An index directory is missing, stale or corrupt; says what to do."""


def tokens(text: str) -> list[str]:
    """BM25 tokens of normalised text: jieba search-mode words (so 结婚登记 also gives 结婚, 登记)."""
    import jieba

    return [t for t in jieba.lcut_for_search(text) if t.strip() and t not in _STOP]


def catalogue_files(directories: Sequence[Path]) -> list[Path]:
    """Every file whose content defines the catalogues, in a stable order."""
    files: list[Path] = []
    for directory in directories:
        files += [directory / "catalogue.yaml"]
        files += sorted((directory / "items").rglob("*.yaml"))
        files += sorted((directory / "bundles").glob("*.yaml"))
    return files


def index_key(directories: Sequence[Path], settings: IndexSettings) -> str:
    """Content key of catalogues + settings + lexicon: the name of the index directory."""
    h = hashlib.sha256()
    h.update(f"format={FORMAT}".encode())
    h.update(settings.model_dump_json().encode())
    h.update(LEXICON.read_bytes())
    for path in catalogue_files(directories):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mention_phrases(entry: Item | Bundle) -> list[str]:
    """Names that refer to an entry: its name and aliases."""
    return [entry.name, *entry.aliases]


def search_text(entry: Item | Bundle) -> str:
    """What BM25 and the embedding model see of an entry (before normalisation)."""
    parts = [entry.name, entry.name, *entry.aliases]
    if isinstance(entry, Item):
        parts += [entry.handling_item, *(f.question for f in entry.faq)]
    parts.append(entry.overview)
    return " ".join(parts)


def training_pairs(entries: Sequence[Item | Bundle], normalise: Callable[[str], str], limit: int, seed: int) -> list:
    """(anchor, positive) pairs for the embedding model: names, aliases, FAQ questions and element questions
    built from them (so the question words carry no item) -> guide text."""
    import random

    import yaml

    from nlu.elements import TEMPLATES

    rng = random.Random(seed)
    templates = [t for ts in yaml.safe_load(TEMPLATES.read_text(encoding="utf-8")).values() for t in ts if "{x}" in t]
    pairs = []
    for entry in entries:
        positive = normalise(search_text(entry))
        anchors = [*mention_phrases(entry)]
        if isinstance(entry, Item):
            anchors += [f.question for f in entry.faq]
            if entry.handling_item != entry.name:
                anchors.append(entry.handling_item)
        names = mention_phrases(entry)
        anchors += [rng.choice(templates).format(x=rng.choice(names)) for _ in range(len(names))]
        pairs += [(normalise(a), positive) for a in dict.fromkeys(anchors) if a]
    rng.shuffle(pairs)
    return pairs[:limit]


@dataclass
class Index:
    """A loaded index, ready to search."""

    directory: Path
    manifest: dict
    entries: list[Item | Bundle]
    priors: np.ndarray  # per entry: 1.0 for a complete guide, less for partly unknown ones
    normaliser: Normaliser
    pipeline: ElementPipeline
    bm25: object
    faiss_index: object
    model: object
    by_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {e.id: i for i, e in enumerate(self.entries)}

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

        Returns:
            The manifest.
        """
        import bm25s
        import faiss

        start = time.perf_counter()
        entries = catalogue.entries()
        progress(f"indexing {len(entries)} entries")
        vocabulary = {p for e in entries for p in mention_phrases(e)}
        from nlu.elements import add_user_words

        add_user_words(sorted(vocabulary))
        import jieba

        materials = {m.name for e in entries if isinstance(e, Item) for m in e.materials}
        vocabulary |= {w for p in [*vocabulary, *materials] for w in jieba.lcut_for_search(p) if len(w) >= 2}
        normaliser = Normaliser(vocabulary)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            progress("normalising and segmenting guide texts")
            texts = [normaliser(search_text(e)) for e in entries]
            corpus_tokens = [tokens(t) or ["∅"] for t in texts]
            bm25 = bm25s.BM25()
            bm25.index(corpus_tokens, show_progress=False)
            bm25.save(str(staging / "bm25"), show_progress=False)

            progress("training the element classifier (spaCy textcat) and the mention ruler")
            mentions = {e.id: sorted({normaliser(p) for p in mention_phrases(e)} - {""}) for e in entries}
            pipeline = ElementPipeline.train(mentions, seed=settings.seed, normalise=normaliser, progress=progress)
            pipeline.save(staging / "spacy")

            if settings.model == "local-static":
                from assistant.embedding import train_static_model

                pairs = training_pairs(entries, normaliser, settings.max_pairs, settings.seed)
                progress(f"training the embedding model on {len(pairs)} pairs")
                last = [0.0]

                def step(done: int, total: int) -> None:
                    if time.perf_counter() - last[0] > 2 or done == total:
                        last[0] = time.perf_counter()
                        progress(f"embedding model step {done}/{total}")

                batches = max(1, (len(pairs) + 127) // 128)
                epochs = max(settings.epochs, -(-settings.min_steps // batches))
                model = train_static_model(
                    pairs, texts, dim=settings.dim, seed=settings.seed, epochs=epochs, progress=step
                )
            else:
                from assistant.embedding import load_model

                model = load_model(settings.model)
            model.save(str(staging / "model"))
            progress("encoding guide texts into FAISS")
            vectors = np.asarray(model.encode(texts, batch_size=256, normalize_embeddings=True), dtype="float32")
            faiss_index = faiss.IndexFlatIP(vectors.shape[1])
            faiss_index.add(vectors)
            faiss.write_index(faiss_index, str(staging / "vectors.faiss"))

            adapter = TypeAdapter(Item | Bundle)
            with (staging / "entries.jsonl").open("w", encoding="utf-8") as fh:
                for e in entries:
                    kind = "bundle" if isinstance(e, Bundle) else "item"
                    fh.write(
                        json.dumps({"kind": kind, "entry": adapter.dump_python(e, mode="json")}, ensure_ascii=False)
                    )
                    fh.write("\n")
            (staging / "vocabulary.json").write_text(
                json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8"
            )
            manifest = {
                "format": FORMAT,
                "key": key,
                "catalogue_version": catalogue.version(),
                "catalogues": [info.name for info in catalogue.infos],
                "entries": len(entries),
                "settings": settings.model_dump(),
                "libraries": {
                    name: importlib.metadata.version(name)
                    for name in ("sentence-transformers", "faiss-cpu", "bm25s", "spacy", "jieba", "torch")
                },
                "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "build_seconds": round(time.perf_counter() - start, 2),
                "files": {
                    p.relative_to(staging).as_posix(): _sha(p) for p in sorted(staging.rglob("*")) if p.is_file()
                },
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            if directory.exists():
                shutil.rmtree(directory)
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        progress(f"index ready in {manifest['build_seconds']} s: {directory}")
        return manifest

    # --- loading ------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path, *, verify: bool = True) -> Index:
        """Load a built index.

        Raises:
            IndexError_: missing manifest or artefact, wrong format, or a file whose hash does not match.
        """
        import bm25s
        import faiss

        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise IndexError_(f"{directory} has no manifest.json; run `assistant index build`")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IndexError_(f"{manifest_path} is corrupt ({exc}); run `assistant index build`") from exc
        if manifest.get("format") != FORMAT:
            raise IndexError_(f"{directory} was built by another version; run `assistant index build`")
        if verify:
            for rel, digest in manifest.get("files", {}).items():
                path = directory / rel
                if not path.is_file() or _sha(path) != digest:
                    raise IndexError_(f"{path} is missing or corrupt; run `assistant index build`")
        entries: list[Item | Bundle] = []
        for line in (directory / "entries.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            model = Bundle if record["kind"] == "bundle" else Item
            entries.append(model.model_validate(record["entry"]))
        priors = np.array(
            [1.0 if isinstance(e, Bundle) else 0.5 + 0.5 * completeness(e) for e in entries], dtype="float32"
        )
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        from assistant.embedding import load_model

        faiss.omp_set_num_threads(1)
        return cls(
            directory=directory,
            manifest=manifest,
            entries=entries,
            priors=priors,
            normaliser=Normaliser(vocabulary),
            pipeline=ElementPipeline.load(directory / "spacy"),
            bm25=bm25s.BM25.load(str(directory / "bm25")),
            faiss_index=faiss.read_index(str(directory / "vectors.faiss")),
            model=load_model(directory / "model"),
        )

    # --- searching ----------------------------------------------------------------------------------------
    def bm25_search(self, text: str, k: int) -> list[tuple[int, float]]:
        """(entry index, BM25 score) for a normalised question."""
        query = tokens(text)
        if not query:
            return []
        k = min(k, len(self.entries))
        ids, scores = self.bm25.retrieve([query], k=k, show_progress=False, n_threads=0)  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    def dense_search(self, text: str, k: int) -> list[tuple[int, float]]:
        """(entry index, cosine similarity) for a normalised question."""
        vector = np.asarray(self.model.encode([text], normalize_embeddings=True), dtype="float32")  # type: ignore[attr-defined]
        scores, ids = self.faiss_index.search(vector, min(k, len(self.entries)))  # type: ignore[attr-defined]
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


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
) -> Index:
    """The index for these catalogues and settings, built first when missing, stale or corrupt.

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
    catalogue = load_directories(directories)
    Index.build(catalogue, directory, settings, key=key, progress=progress)
    return Index.load(directory)
