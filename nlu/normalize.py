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

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path

import yaml

LEXICON = Path(__file__).parent / "lexicon.yaml"
COMMON_WORD = 1000  # jieba frequency of an everyday word (晚上, 事业), which typo repair keeps whole
# what follows a follow-up's opening particle (the lexicon's ``leading``): a word of asking, a modal, a pronoun
_AFTER_LEADING = "[能要可是该得还在去怎多哪什有会需就我你他她它这不]"
KNOWN_WORD = 50  # jieba frequency from which a run is a word typed on purpose (失恋 121, 理发 94), not a typo
# ... and from which a word of three characters or more is (工本费 12: "交工本费" is not a misspelt 交公 + 本费)
KNOWN_LONG_WORD = 5
PART_MEMO = 8192  # runs of text whose normalised form a normaliser remembers
MAX_QUERY_CHARS = 200  # longer input is cut: no real question about a service needs more
# typed on purpose, never a typo: 办不办 is not 办补办, 有小程序 is not 有效程序, 户口不在 is not 户口簿在; a numeral
# (生二孩 is not 生儿孩); and the two characters of nearly every question here: 新证 is not 新增, 上办 not 上班
_TYPED_ON_PURPOSE = frozenset("不没有的了在是吗呢吧也都就还很太又和与小大个这那证办一二三四五六七八九十两几")
_HAN = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[^\w\u3400-\u9fff]+")  # anything that is not a letter, digit or Han character


@functools.lru_cache(maxsize=1024)
def _fold(syllable: str) -> str:
    """One pinyin syllable with the confusions of pinyin typing folded together (zh/z, ng/n, l/n, mo/me …)."""
    s = re.sub(r"^([zcs])h", r"\1", syllable)
    s = re.sub(r"ng$", "n", s)
    s = re.sub(r"^l", "n", s)
    return re.sub(r"^([bpmf])o$", r"\1e", s)


def fuzzy_pinyin(text: str) -> tuple[str, ...]:
    """Folded pinyin syllables of a text read in context (重庆 -> chong qin)."""
    from pypinyin import lazy_pinyin

    return tuple(_fold(syllable) for syllable in lazy_pinyin(text))


@functools.lru_cache(maxsize=65536)
def _char_syllable(char: str) -> str:
    from pypinyin import lazy_pinyin

    return _fold(lazy_pinyin(char)[0]) if _HAN.fullmatch(char) else char


def char_pinyin(text: str) -> tuple[str, ...]:
    """Folded pinyin of each character on its own (its most common reading), one syllable per character.

    Typo repair reads every 2-8 character run of a question: slicing this once-computed tuple costs microseconds,
    where reading each run in context (``fuzzy_pinyin``) costs ~0.1 ms a run (60 ms for a long message).
    """
    return tuple(_char_syllable(char) for char in text)


def load_lexicon(path: Path = LEXICON) -> dict:
    """The colloquial lexicon (replace, filler, words) as plain data."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class Normaliser:
    """Turns a question as typed into the form the index was built on.

    Args:
        vocabulary: domain words (item names, aliases and their parts) that typo repair may restore.
        lexicon_path: the colloquial lexicon file.
        frequencies: the word table of the segmenter the text is cut with afterwards (an index's, see
            :mod:`nlu.segmenter`): which runs are words spelled on purpose. None: jieba's own dictionary, in a
            segmenter of this normaliser's.
        remember: remember each run of text it normalised (a long message's ask is read again on its own, its
            runs those of the whole message). Only where the word table no longer changes: a loaded index's; an
            index build teaches its segmenter names after normalising them.
    """

    def __init__(
        self,
        vocabulary: Iterable[str] = (),
        lexicon_path: Path = LEXICON,
        frequencies: Mapping[str, int] | None = None,
        remember: bool = False,
    ):
        self._given_frequencies = frequencies
        self._remember = remember
        lexicon = load_lexicon(lexicon_path)
        self._replace: dict[str, str] = lexicon.get("replace", {})
        self._filler: list[str] = sorted(lexicon.get("filler", []), key=len, reverse=True)
        leading = sorted(lexicon.get("leading", []), key=len, reverse=True)
        self._leading = re.compile(f"^(?:{'|'.join(map(re.escape, leading))})(?={_AFTER_LEADING})") if leading else None
        words = {w for w in vocabulary if 2 <= len(w) <= 8 and _HAN.search(w)}
        words |= set(lexicon.get("words", []))
        words |= {v for v in self._replace.values() if len(v) >= 2}
        self.vocabulary = frozenset(words)
        self._parts: dict[str, str] = {}

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
    def _by_pinyin(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        # a word is found by its characters' own readings and by its reading in context (银行: yin xin, yin han),
        # so a run typed with a polyphone's other reading still finds it; homophones are all kept (工伤, 共赏):
        # repair takes the one closest to what was typed
        table: dict[tuple[str, ...], list[str]] = {}
        for word in sorted(self.vocabulary):
            for key in dict.fromkeys((char_pinyin(word), fuzzy_pinyin(word))):
                table.setdefault(key, []).append(word)
        return {key: tuple(words) for key, words in table.items()}

    @cached_property
    def _sound_starts(self) -> frozenset[tuple[str, ...]]:
        """The first two syllables of every reading of a domain word (most runs of a message start none)."""
        return frozenset(key[:2] for key in self._by_pinyin)

    @cached_property
    def _word_starts(self) -> frozenset[str]:
        """The first two characters of every domain word."""
        return frozenset(word[:2] for word in self.vocabulary)

    @cached_property
    def _frequencies(self) -> Mapping[str, int]:
        if self._given_frequencies is not None:
            return self._given_frequencies
        from nlu.segmenter import new_segmenter, word_frequencies

        return word_frequencies(new_segmenter())

    def _is_common(self, word: str) -> bool:
        """An everyday word by jieba's dictionary (晚上, 事业): typed on purpose, not a typo of a domain word."""
        return self._frequencies.get(word, 0) >= COMMON_WORD

    def surface(self, text: str) -> str:
        """Width, case, script and punctuation only (no lexicon, no repair): for matching exact names."""
        text = unicodedata.normalize("NFKC", text or "")[:MAX_QUERY_CHARS]
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
        text = self._converter.convert(text).lower()
        return _KEEP.sub(" ", text).strip()

    def _is_word(self, run: str) -> bool:
        """A word of jieba's dictionary, spelled as meant (the vocabulary also holds fragments of names: 照换)."""
        return self._frequencies.get(run, 0) >= (KNOWN_WORD if len(run) < 3 else KNOWN_LONG_WORD)

    def repair(self, text: str) -> str:
        """Replace character runs that sound like a domain word but are spelled differently (结昏证 -> 结婚证).

        A character is not re-spelled where it belongs to a word the question spells correctly across the run's
        edge: 怎 of 怎么 in 退休怎么办 stays (not 退休证么办), 社 of 社保 in 开社保户 (not 开设保户). A large
        catalogue's vocabulary holds many everyday words that sound like what people type (its names hold 新增,
        储备, 会计 …).
        """
        if not self.vocabulary:
            return text
        table = self._by_pinyin
        syllables = char_pinyin(text)
        spans: dict[int, tuple[int, int]] = {}  # per character, the widest word spelled through it (as needed)
        out: list[str] = []
        i = 0
        sounds, starts = self._sound_starts, self._word_starts
        while i < len(text):
            replaced = False
            # no domain word sounds like a run starting here unless one starts with these two syllables
            sizes = range(min(8, len(text) - i), 1, -1) if syllables[i : i + 2] in sounds else ()
            for size in sizes:
                chunk = text[i : i + size]
                if not _HAN.fullmatch(chunk[0]) or chunk in self.vocabulary:
                    continue
                if size == 2 and self._is_word(chunk):
                    continue  # 晚上 is not a misspelt 网上, nor 网点 a misspelt 网店
                words = table.get(syllables[i : i + size])
                if not words:
                    continue
                word = self._closest(text, i, size, words, spans)
                if word is not None:
                    out.append(word)
                    i += size
                    replaced = True
                    break
            if not replaced:
                # a run that already is a domain word or an everyday word (手机) is kept whole, so its characters
                # are not re-spelled with the next one (机上 -> 记上)
                longest = min(8, len(text) - i) if text[i : i + 2] in starts else 2
                whole = next(
                    (
                        text[i : i + s]
                        for s in range(longest, 1, -1)
                        if text[i : i + s] in self.vocabulary or (s == 2 and self._is_common(text[i : i + s]))
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

    def _spelled(self, text: str, d: int, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
        """The start of the earliest and the end of the latest word of jieba's dictionary (2-8 characters)
        spelled through character ``d`` (its own place where none is)."""
        if d not in memo:
            start, end = d, d + 1
            for a in range(max(0, d - 7), d + 1):
                if _HAN.fullmatch(text[a]):
                    for b in range(max(a + 2, d + 1), min(a + 8, len(text)) + 1):
                        if self._is_word(text[a:b]):
                            start, end = min(start, a), max(end, b)
            memo[d] = (start, end)
        return memo[d]

    def _closest(
        self, text: str, i: int, size: int, words: Iterable[str], spans: dict[int, tuple[int, int]]
    ) -> str | None:
        """Of the words that sound like the run of ``size`` characters at ``i``, the one fewest characters away
        that may replace it (``spans``: :meth:`_spelled`'s memo for this text)."""
        chunk = text[i : i + size]
        best: tuple[int, str] | None = None
        for word in words:
            if len(word) != size:
                continue
            differing = [i + k for k, (a, b) in enumerate(zip(chunk, word, strict=True)) if a != b]
            # a two-character run is half changed: neither character may belong to a word across its edge
            # (出备案 is not 储备案, 交学费 not 教学费); a longer run keeps only its changed ones
            kept = range(i, i + size) if size == 2 else differing
            if (
                len(differing) <= max(1, size // 3)
                and not {text[d] for d in differing} & _TYPED_ON_PURPOSE
                and not any(start < i or end > i + size for start, end in (self._spelled(text, d, spans) for d in kept))
                and (best is None or len(differing) < best[0])
            ):
                best = (len(differing), word)
        return best[1] if best else None

    def _colloquial(self, text: str) -> str:
        """The lexicon's replacements (no value holds a key, so applying them twice changes nothing).

        A key of two characters or more whose last character starts an everyday word with the next one does not
        take that character: 办个 is 办 in 办个证, but not in 办个体执照 (个体), 办个人社保 (个人) or 老公司 (公司);
        what comes before it is still read (咋办理 -> 怎么办理).
        """
        pattern = self._lexicon_pattern
        if pattern is None:
            return text

        def replace(match: re.Match[str]) -> str:
            key, end = match.group(0), match.end()
            if len(key) >= 2 and end < len(match.string) and self._is_common(match.string[end - 1 : end + 1]):
                return pattern.sub(replace, key[:-1]) + key[-1]
            return self._replace[key]

        return pattern.sub(replace, text)

    def _part(self, part: str) -> str:
        """One run of text between punctuation marks, normalised (remembered where ``remember`` says so)."""
        found = self._parts.get(part)
        if found is None:
            found = self.repair(self._colloquial(part))
            found = self._colloquial(found)  # a repaired word may be colloquial itself: 驾招 -> 驾照 -> 驾驶证
            if self._remember:
                if len(self._parts) >= PART_MEMO:
                    self._parts.clear()
                self._parts[part] = found
        return found

    def __call__(self, text: str) -> str:
        """The normalised question: empty when nothing meaningful is left.

        Punctuation cuts a text into runs that are read each on its own (no lexicon key, filler, domain word or
        dictionary word spans a punctuation mark, so this is what reading the whole text would give).
        """
        text = self.surface(text)
        if self._leading is not None:
            text = self._leading.sub("", text, count=1)
        if self._filler_pattern is not None:
            text = self._filler_pattern.sub(" ", text)
        text = " ".join(self._part(part) for part in text.split(" "))
        return (
            re.sub(r"\s+", " ", text).strip().replace(" ", "")
            if _HAN.search(text)
            else re.sub(r"\s+", " ", text).strip()
        )
