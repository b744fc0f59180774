"""Search as you type over item and bundle names, for window staff: Chinese text, full pinyin or initials.

Staff type a few letters while a person waits at the counter: ``sfz`` finds the 居民身份证 items, ``hz`` finds
护照, ``huzhao`` and ``huz`` too (each pinyin syllable may be typed whole or cut short), and ``身份證`` finds the
same as ``身份证``. Names rank above aliases, a match at the start above one inside.

Built once per catalogue (pinyin of every name and alias is computed here, never per keystroke).

Example:
    >>> from knowledge.loader import load_catalogues
    >>> lookup = ItemLookup(load_catalogues())
    >>> [hit.name for hit in lookup.search("sfz")][:2]
    ['居民身份证补领', '居民身份证换领']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Literal

from pypinyin import lazy_pinyin

from knowledge.catalogue import Catalogue
from knowledge.schema import Bundle

_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+")
_SEPARATOR = "#"  # marks a syllable start in a key's pinyin string

# Scores: exact > prefix > inside; a name above an alias above the id.
EXACT, PREFIX, INSIDE = 3, 2, 1
NAME, ALIAS, IDENT = 3, 2, 1


@dataclass(frozen=True)
class Hit:
    """One search result: what the staff list shows."""

    id: str
    name: str
    kind: Literal["item", "bundle"]
    department: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (the ``data`` rows of ``GET /api/v1/items``)."""
        return asdict(self)


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


class ItemLookup:
    """Ranked search over the names and aliases of a catalogue's items and bundles.

    Args:
        catalogue: the loaded catalogue; build one lookup per catalogue and keep it.
    """

    def __init__(self, catalogue: Catalogue):
        self._entries: list[tuple[Hit, list[_Key]]] = []
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
        self._ids = {hit.id: _normalise(hit.id) for hit, _ in self._entries}

    @staticmethod
    def _key(text: str, weight: int) -> _Key:
        syllables = _syllables(text)
        return _Key(text=_normalise(text), pinyin="".join(_SEPARATOR + s for s in syllables), weight=weight)

    @cached_property
    def _converter(self):
        # OpenCC loads its dictionaries once, on the first query written in Traditional characters
        import opencc

        return opencc.OpenCC("t2s")

    def departments(self) -> list[str]:
        """Every department (实施主体 / 牵头部门), in the catalogue's order of first appearance."""
        return list(dict.fromkeys(hit.department for hit, _ in self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str = "", *, department: str | None = None) -> list[Hit]:
        """Every entry matching ``query``, best first; an empty query lists every entry in catalogue order.

        Args:
            query: Chinese text (Simplified or Traditional), full pinyin, pinyin initials or a mix;
                words separated by spaces must all match.
            department: keep only the entries of this department (exact name); None or empty for all.

        Returns:
            The matching entries, ranked: exact before prefix before inside matches, names before aliases.
        """
        pool = [(hit, keys) for hit, keys in self._entries if not department or hit.department == department]
        words = [w for w in (_normalise(w) for w in query.split()) if w]
        if not words:
            return [hit for hit, _ in pool]
        words = [self._converter.convert(w) if _HAN.search(w) else w for w in words]
        scored: list[tuple[tuple[int, ...], int, Hit]] = []
        for position, (hit, keys) in enumerate(pool):
            total: tuple[int, ...] = ()
            for word in words:
                best = self._best(word, hit, keys)
                if best is None:
                    break
                total = tuple(a + b for a, b in zip(total, best, strict=True)) if total else best
            else:
                scored.append((total, position, hit))
        scored.sort(key=lambda row: (tuple(-x for x in row[0]), len(row[2].name), row[1]))
        return [hit for _, _, hit in scored]

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
