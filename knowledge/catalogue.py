"""The loaded catalogue: items and bundles by id and by name, with where each came from.

Example:
    >>> from knowledge.loader import load_catalogues
    >>> cat = load_catalogues()
    >>> cat.get("居民身份证首次申领").id
    'resident-id-card-first'
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.glossary import ELEMENTS, LOCALLY_DECIDED, NOT_APPLICABLE
from knowledge.schema import Bundle, CatalogueInfo, Item

BUNDLED = Path(__file__).parent / "catalogue"

Entry = Item | Bundle
FAMILY = 3  # characters a name shares at its start with another's, at least, for the two to be one family


@dataclass
class Catalogue:
    """Items and bundles of one or more catalogue directories, merged.

    Names are unique within one catalogue directory; across directories the first one loaded wins a
    name lookup (the bundled catalogue is loaded first by default).
    """

    infos: list[CatalogueInfo] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    digest: str = ""

    def __post_init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._by_alias: dict[str, list[str]] = {}
        for entry in self.entries():
            self._by_name.setdefault(entry.name, entry.id)
            for alias in entry.aliases:
                self._by_alias.setdefault(alias, []).append(entry.id)

    def entries(self) -> list[Entry]:
        """Items then bundles, in load order."""
        return [*self.items.values(), *self.bundles.values()]

    @functools.cached_property
    def _names(self) -> list[str]:
        return sorted({entry.name for entry in self.entries()})

    def family(self, name: str) -> str:
        """The start a name shares with the other entries of its family: the longest it shares with another name
        (居民身份证首次申领 -> 居民身份证, 住房公积金提取 -> 住房公积金, 机动车注册登记 -> 机动车); empty when that is
        shorter than FAMILY characters (失业保险金申领). The name's neighbours in sorted order share the longest."""
        names = self._names
        at = bisect.bisect_left(names, name)
        neighbours = [names[k] for k in (at - 1, at, at + 1) if 0 <= k < len(names) and names[k] != name]
        shared = max((common_start(name, other) for other in neighbours), key=len, default="")
        return shared if len(shared) >= FAMILY else ""

    def get(self, key: str) -> Entry | None:
        """An item or bundle by id, exact name, or an alias that names only it."""
        if key in self.items:
            return self.items[key]
        if key in self.bundles:
            return self.bundles[key]
        entry_id = self._by_name.get(key)
        if entry_id is None:
            ids = self._by_alias.get(key, [])
            entry_id = ids[0] if len(ids) == 1 else None
        if entry_id is None:
            return None
        return self.items.get(entry_id) or self.bundles.get(entry_id)

    def members(self, bundle: Bundle) -> list[Item]:
        """The member items of a bundle, in the bundle's order."""
        return [self.items[self._by_name[name]] for name in bundle.members]

    def version(self) -> str:
        """Catalogue versions and content digest, e.g. ``2026.11.1+3f2a9c1e``."""
        versions = "+".join(info.version for info in self.infos)
        return f"{versions}+{self.digest[:8]}"


def digest_files(paths: list[Path]) -> str:
    """A content hash of catalogue files, independent of where the directory lives."""
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def completeness(item: Item) -> float:
    """Share of the guide's elements that carry content (not marked unknown, not locally undecided)."""
    filled = 0
    for key in ELEMENTS:
        value = getattr(item, key, None)
        if key in item.unknown or value == LOCALLY_DECIDED:
            continue
        if key in {"aliases", "faq", "scenario"} and not value:
            continue
        filled += 1
    return filled / len(ELEMENTS)


def is_placeholder(value: object) -> bool:
    """True for empty text or an explicit 无 / 由本地确定 marker."""
    return isinstance(value, str) and value.strip() in {"", NOT_APPLICABLE, LOCALLY_DECIDED}


def common_start(a: str, b: str) -> str:
    """The characters two names start with alike."""
    return a[: next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))]
