"""Search as you type over item and bundle names, for window staff: Chinese text, full pinyin or initials, and
the names of the materials an entry asks for.

Staff type a few letters while a person waits at the counter: ``sfz`` finds the 居民身份证 items, ``hz`` finds
护照, ``huzhao`` and ``huz`` too (each pinyin syllable may be typed whole or cut short), and ``身份證`` finds the
same as ``身份证``. Names rank above aliases, a match at the start above one inside.

What is typed is searched as typed first, then as question answering reads it (the normaliser of
:mod:`nlu.normalize`: the colloquial lexicon and pinyin typo repair, 身分证 -> 身份证, 户口薄 -> 户口簿); the entries
only the normalised query finds come after. Chinese text that names no entry is looked for in the names of the
materials (出生医学证明 finds 出生登记 and every entry that asks for it, a bundle through its members): those hits
come after every hit by name and carry the material that matched (:attr:`Hit.material`).

Built once per catalogue (pinyin of every name and alias is computed here, never per keystroke).

Example:
    >>> from knowledge.loader import load_catalogues
    >>> lookup = ItemLookup(load_catalogues())
    >>> [hit.name for hit in lookup.search("sfz")][:2]
    ['居民身份证补领', '居民身份证换领']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from pypinyin import lazy_pinyin

from knowledge.catalogue import Catalogue
from knowledge.schema import Bundle, Item

_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+")
_SEPARATOR = "#"  # marks a syllable start in a key's pinyin string

# Scores: exact > prefix > inside; a name above an alias above the id.
EXACT, PREFIX, INSIDE = 3, 2, 1
NAME, ALIAS, IDENT = 3, 2, 1
MATERIAL_MIN_CHARS = 2  # one character (证, 表) is in too many material names to tell anything

Normalise = Callable[[str], str]


@dataclass(frozen=True)
class Hit:
    """One search result: what the staff list shows."""

    id: str
    name: str
    kind: Literal["item", "bundle"]
    department: str
    material: str | None = None  # the material whose name matched, when the entry was found by a material

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (the ``data`` rows of ``GET /api/v1/items``: the entry, not how it was found)."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "department": self.department}


@dataclass(frozen=True)
class _Key:
    """One searchable text of an entry (its name or an alias) in the forms a query is compared with."""

    text: str  # normalised Chinese text
    pinyin: str  # '#shen#fen#zheng': syllables, each preceded by the separator
    weight: int  # NAME or ALIAS


def _normalise(text: str) -> str:
    """Full width to half width, lower case, no spaces or apostrophes (``xi'an``)."""
    return re.sub(r"[\s'’]+", "", unicodedata.normalize("NFKC", text).lower())


def _syllables(text: str) -> list[str]:
    """Pinyin syllables of the Han characters; letters and digits kept as words; punctuation dropped."""
    out: list[str] = []
    for chunk in lazy_pinyin(text):
        # non-ASCII chunks are characters pypinyin left alone (（、·): nobody types them
        if chunk.isascii():
            out += _WORD.findall(chunk.lower())
    return out


def _syllable_pattern(query: str) -> re.Pattern[str]:
    """A pattern that matches ``query`` typed as consecutive syllables, each whole or cut short.

    After each typed letter the next one either continues the same syllable or, skipping the rest of the
    syllable, starts the next: ``sfz`` and ``shenfz`` both match ``#shen#fen#zheng``.
    """
    parts = [_SEPARATOR + re.escape(query[0])]
    parts += [f"(?:[a-z0-9]*{_SEPARATOR})?{re.escape(c)}" for c in query[1:]]
    return re.compile("".join(parts))


def _material_names(catalogue: Catalogue, entry: Item | Bundle) -> list[str]:
    """The names of the materials an item asks for; a bundle's are its members', each once."""
    items = catalogue.members(entry) if isinstance(entry, Bundle) else [entry]
    return list(dict.fromkeys(m.name for item in items for m in item.materials if m.name.strip()))


class ItemLookup:
    """Ranked search over the names and aliases of a catalogue's items and bundles, and their materials' names.

    Args:
        catalogue: the loaded catalogue; build one lookup per catalogue and keep it.
        normaliser: how question answering reads text (the served index's :class:`nlu.normalize.Normaliser`);
            None: a normaliser over this catalogue's names, aliases and material names, made on first use (for
            an application serving a catalogue without its index). :meth:`search` may name another one.
    """

    def __init__(self, catalogue: Catalogue, normaliser: Normalise | None = None):
        self._entries: list[tuple[Hit, list[_Key]]] = []
        self._materials: dict[str, list[tuple[str, str]]] = {}  # entry id -> (normalised, as written)
        vocabulary: set[str] = set()
        for entry in catalogue.entries():
            hit = Hit(
                id=entry.id,
                name=entry.name,
                kind="bundle" if isinstance(entry, Bundle) else "item",
                department=entry.department,
            )
            keys = [self._key(entry.name, NAME)]
            keys += [self._key(alias, ALIAS) for alias in entry.aliases if alias.strip()]
            self._entries.append((hit, keys))
            materials = _material_names(catalogue, entry)
            self._materials[hit.id] = [(_normalise(name), name) for name in materials]
            vocabulary |= {entry.name, *entry.aliases, *materials}
        self._ids = {hit.id: _normalise(hit.id) for hit, _ in self._entries}
        self._given = normaliser
        self._vocabulary = vocabulary
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str, weight: int) -> _Key:
        syllables = _syllables(text)
        return _Key(text=_normalise(text), pinyin="".join(_SEPARATOR + s for s in syllables), weight=weight)

    @cached_property
    def _converter(self):
        # OpenCC loads its dictionaries once, on the first query written in Traditional characters
        import opencc

        return opencc.OpenCC("t2s")

    @property
    def normaliser(self) -> Normalise:
        """The normaliser given, or one over this catalogue's words (made once, on the first call)."""
        if self._given is None:
            with self._lock:  # two first searches at once make it once
                if self._given is None:
                    from nlu.normalize import Normaliser

                    self._given = Normaliser(self._vocabulary)
        return self._given

    def departments(self) -> list[str]:
        """Every department (实施主体 / 牵头部门), in the catalogue's order of first appearance."""
        return list(dict.fromkeys(hit.department for hit, _ in self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str = "", *, department: str | None = None) -> list[Hit]:
        """Every entry matching ``query``, best first; an empty query lists every entry in catalogue order.

        Args:
            query: Chinese text (Simplified or Traditional, colloquial or mistyped), full pinyin, pinyin initials
                or a mix, or (Chinese) a material's name; words separated by spaces must all match.
            department: keep only the entries of this department (exact name); None or empty for all.

        Returns:
            The matching entries, ranked: found by name before found by a material only, found by the query as
            typed before found by its normalised form, exact before prefix before inside matches, names before
            aliases. An entry found by a material carries its name in ``material``.
        """
        pool = [(hit, keys) for hit, keys in self._entries if not department or hit.department == department]
        words = [w for w in (_normalise(w) for w in query.split()) if w]
        if not words:
            return [hit for hit, _ in pool]
        words = [self._converter.convert(w) if _HAN.search(w) else w for w in words]
        rows = self._rank(words, pool, typed=True)
        if any(_HAN.search(w) for w in words):
            read = [w for w in (_normalise(self.normaliser(w)) if _HAN.search(w) else w for w in words) if w]
            if read and read != words:
                found = {row[-1].id for row in rows}
                rows += [row for row in self._rank(read, pool, typed=False) if row[-1].id not in found]
        rows.sort(key=lambda row: row[:-1])
        return [row[-1] for row in rows]

    def _rank(self, words: list[str], pool: list[tuple[Hit, list[_Key]]], *, typed: bool) -> list[tuple]:
        """Sort keys and hits of the entries matching every word: (by material, not typed, -scores, name length,
        position, hit)."""
        rows: list[tuple] = []
        by_material = all(_HAN.search(w) and len(w) >= MATERIAL_MIN_CHARS for w in words)
        for position, (hit, keys) in enumerate(pool):
            total: tuple[int, ...] = ()
            for word in words:
                best = self._best(word, hit, keys)
                if best is None:
                    break
                total = tuple(a + b for a, b in zip(total, best, strict=True)) if total else best
            else:
                rows.append((0, not typed, *(-x for x in total), len(hit.name), position, hit))
                continue
            if by_material and (material := self._material(words, hit.id)) is not None:
                quality, name = material
                found = Hit(hit.id, hit.name, hit.kind, hit.department, material=name)
                rows.append((1, not typed, -quality, 0, 0, len(hit.name), position, found))
        return rows

    def _material(self, words: list[str], entry_id: str) -> tuple[int, str] | None:
        """The best (quality, name as written) of the entry's materials whose name holds every word."""
        best: tuple[int, int, str] | None = None
        for text, name in self._materials[entry_id]:
            if not all(word in text for word in words):
                continue
            quality = sum(EXACT if text == w else PREFIX if text.startswith(w) else INSIDE for w in words)
            if best is None or (quality, -len(text)) > best[:2]:
                best = (quality, -len(text), name)
        return None if best is None else (best[0], best[2])

    def _best(self, word: str, hit: Hit, keys: list[_Key]) -> tuple[int, int, int] | None:
        """The best (quality, weight, keys matched) of ``word`` against an entry; None when nothing matches."""
        best: tuple[int, int] | None = None
        matched = 0
        han = bool(_HAN.search(word))
        pattern = None if han or not word.isascii() else _syllable_pattern(word)
        for key in keys:
            quality = 0
            if han or not word.isascii():
                if key.text == word:
                    quality = EXACT
                elif key.text.startswith(word):
                    quality = PREFIX
                elif word in key.text:
                    quality = INSIDE
            elif pattern is not None and (m := pattern.search(key.pinyin)):
                whole = m.start() == 0 and m.end() == len(key.pinyin)
                quality = EXACT if whole else PREFIX if m.start() == 0 else INSIDE
            if quality:
                matched += 1
                if best is None or (quality, key.weight) > best:
                    best = (quality, key.weight)
        if best is None and not han and word in self._ids[hit.id]:
            best, matched = (INSIDE, IDENT), 1
        return None if best is None else (*best, matched)
