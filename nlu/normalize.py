"""Question normalisation: Traditional -> Simplified, full/half width, punctuation and filler, colloquial lexicon,
and typo repair against the catalogue's vocabulary by pinyin.

The same normaliser runs over the catalogue's names and aliases at index build and over every question, so both
sides meet in one vocabulary.

Example:
    >>> n = Normaliser(vocabulary=["结婚证", "身份证"])
    >>> n("領結昏證要帶啥？？")
    '领结婚证要带什么'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import yaml

LEXICON = Path(__file__).parent / "lexicon.yaml"
MAX_QUERY_CHARS = 200  # longer input is cut: no real question about a service needs more
_HAN = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[^\w\u3400-\u9fff]+")  # anything that is not a letter, digit or Han character


def fuzzy_pinyin(text: str) -> tuple[str, ...]:
    """Pinyin syllables with the confusions of pinyin typing folded together (zh/z, ng/n, l/n, mo/me …)."""
    from pypinyin import lazy_pinyin

    out = []
    for syllable in lazy_pinyin(text):
        s = re.sub(r"^([zcs])h", r"\1", syllable)
        s = re.sub(r"ng$", "n", s)
        s = re.sub(r"^l", "n", s)
        s = re.sub(r"^([bpmf])o$", r"\1e", s)
        out.append(s)
    return tuple(out)


def load_lexicon(path: Path = LEXICON) -> dict:
    """The colloquial lexicon (replace, filler, words) as plain data."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class Normaliser:
    """Turns a question as typed into the form the index was built on.

    Args:
        vocabulary: domain words (item names, aliases and their parts) that typo repair may restore.
        lexicon_path: the colloquial lexicon file.
    """

    def __init__(self, vocabulary: Iterable[str] = (), lexicon_path: Path = LEXICON):
        lexicon = load_lexicon(lexicon_path)
        self._replace: dict[str, str] = lexicon.get("replace", {})
        self._filler: list[str] = sorted(lexicon.get("filler", []), key=len, reverse=True)
        words = {w for w in vocabulary if 2 <= len(w) <= 8 and _HAN.search(w)}
        words |= set(lexicon.get("words", []))
        words |= {v for v in self._replace.values() if len(v) >= 2}
        self.vocabulary = frozenset(words)

    @cached_property
    def _converter(self):
        import opencc

        return opencc.OpenCC("t2s")

    @cached_property
    def _lexicon_pattern(self) -> re.Pattern[str] | None:
        keys = sorted(self._replace, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, keys))) if keys else None

    @cached_property
    def _filler_pattern(self) -> re.Pattern[str] | None:
        return re.compile("|".join(map(re.escape, self._filler))) if self._filler else None

    @cached_property
    def _by_pinyin(self) -> dict[tuple[str, ...], str]:
        table: dict[tuple[str, ...], str] = {}
        for word in sorted(self.vocabulary, key=lambda w: (-len(w), w)):
            table.setdefault(fuzzy_pinyin(word), word)
        return table

    def surface(self, text: str) -> str:
        """Width, case, script and punctuation only (no lexicon, no repair): for matching exact names."""
        text = unicodedata.normalize("NFKC", text or "")[:MAX_QUERY_CHARS]
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
        text = self._converter.convert(text).lower()
        return _KEEP.sub(" ", text).strip()

    def repair(self, text: str) -> str:
        """Replace character runs that sound like a domain word but are spelled differently (结昏证 -> 结婚证)."""
        if not self.vocabulary:
            return text
        table = self._by_pinyin
        out: list[str] = []
        i = 0
        while i < len(text):
            replaced = False
            for size in range(min(8, len(text) - i), 1, -1):
                chunk = text[i : i + size]
                if not _HAN.fullmatch(chunk[0]) or chunk in self.vocabulary:
                    continue
                word = table.get(fuzzy_pinyin(chunk))
                if word is None or len(word) != size:
                    continue
                differing = sum(1 for a, b in zip(chunk, word, strict=True) if a != b)
                if differing <= max(1, size // 3):
                    out.append(word)
                    i += size
                    replaced = True
                    break
            if not replaced:
                # a run that already is a domain word is kept whole, so its characters are not re-spelled
                whole = next(
                    (
                        text[i : i + s]
                        for s in range(min(8, len(text) - i), 1, -1)
                        if text[i : i + s] in self.vocabulary
                    ),
                    None,
                )
                if whole:
                    out.append(whole)
                    i += len(whole)
                else:
                    out.append(text[i])
                    i += 1
        return "".join(out)

    def __call__(self, text: str) -> str:
        """The normalised question: empty when nothing meaningful is left."""
        text = self.surface(text)
        if self._filler_pattern is not None:
            text = self._filler_pattern.sub(" ", text)
        if self._lexicon_pattern is not None:
            text = self._lexicon_pattern.sub(lambda m: self._replace[m.group(0)], text)
        text = self.repair(text)
        return (
            re.sub(r"\s+", " ", text).strip().replace(" ", "")
            if _HAN.search(text)
            else re.sub(r"\s+", " ", text).strip()
        )
