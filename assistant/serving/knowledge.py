"""The knowledge a running assistant serves: catalogue, index and question answerer, swapped atomically.

Routes (HTTP, WeChat, staff tool) and dialogue actions all read the same :class:`Knowledge` through a
:class:`KnowledgeHolder`; a reload builds the new one completely before swapping, so a catalogue that fails
validation (or an index that fails to build) leaves the running knowledge serving.

Example:
    >>> holder = KnowledgeHolder.open()          # bundled catalogue, index under $ASSISTANT_DATA_DIR/index
    >>> holder.current.qa.ask("身份证丢了咋办").item
    '居民身份证补领'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.qa import QuestionAnswerer
from assistant.retrieval.index import Index, IndexSettings, default_directories, open_index
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue
from knowledge.loader import load_directories

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Knowledge:
    """One consistent snapshot: the catalogue, the index built from it, and the answerer over that index."""

    catalogue: Catalogue
    index: Index
    qa: QuestionAnswerer

    @property
    def version(self) -> str:
        return self.catalogue.version()


def load_knowledge(
    directories: Sequence[Path], root: Path, settings: IndexSettings | None = None, progress: Progress | None = None
) -> Knowledge:
    """Validate the catalogues, open (or build) their index and make an answerer.

    Raises:
        knowledge.errors.CatalogueError: a catalogue does not validate; nothing is built.
    """
    catalogue = load_directories(directories)
    index = open_index(directories, root, settings, progress=progress or (lambda _: None), catalogue=catalogue)
    qa = QuestionAnswerer.from_index(index)
    qa.prepare()  # before it serves: the first follow-up does not pay for it
    return Knowledge(catalogue=catalogue, index=index, qa=qa)


class KnowledgeHolder:
    """Holds the current :class:`Knowledge`; :meth:`reload` replaces it only when the new one is complete.

    Args:
        directories: catalogue directories, bundled first.
        root: the index root directory (an index per catalogue+settings hash lives below it).
    """

    def __init__(self, directories: Sequence[Path], root: Path, settings: IndexSettings | None = None):
        self.directories = list(directories)
        self.root = root
        self.settings = settings
        self._lock = threading.Lock()
        self._current: Knowledge | None = None

    @classmethod
    def open(cls, extra: Sequence[Path] = (), *, bundled: bool = True, progress: Progress | None = None):
        """Load the bundled catalogue (unless ``bundled=False``) plus ``extra``; index under the data directory."""
        return cls.open_at(PathSettings().index_root, extra, bundled=bundled, progress=progress)

    @classmethod
    def open_at(
        cls, root: Path, extra: Sequence[Path] = (), *, bundled: bool = True, progress: Progress | None = None
    ) -> KnowledgeHolder:
        holder = cls(default_directories(extra, bundled=bundled), root)
        holder.reload(progress)
        return holder

    @property
    def current(self) -> Knowledge:
        if self._current is None:
            raise RuntimeError("knowledge not loaded yet; call reload() first")
        return self._current

    @property
    def ready(self) -> bool:
        return self._current is not None

    def reload(self, progress: Progress | None = None) -> Knowledge:
        """Load the catalogues again and swap them in.

        Raises:
            knowledge.errors.CatalogueError: the catalogue does not validate; the current knowledge stays.
        """
        with self._lock:  # one reload at a time; readers never wait (they read the old snapshot)
            fresh = load_knowledge(self.directories, self.root, self.settings, progress)
            self._current = fresh
            return fresh
