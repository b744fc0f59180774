"""jieba segmenters owned by whoever uses them: an index, a normaliser, a build. Never the process-wide one.

jieba's module functions (``jieba.lcut``, ``jieba.add_word``) act on one process-wide ``jieba.dt``. Teaching it a
catalogue's names changes how every other user of the process cuts text: a reload would change how the snapshot
still answering reads its questions, a name removed from the catalogue would stay a word for good, and tests
would depend on their order. So each index holds a ``jieba.Tokenizer`` of its own, saved at build and loaded with
it, and everything that cuts text for that index (BM25, the normaliser's word table, spaCy's tokenizer) uses it.

Example:
    >>> segmenter = new_segmenter(["结婚登记"])
    >>> segmenter.lcut("办结婚登记")
    ['办', '结婚登记']
"""

from __future__ import annotations

import functools
import marshal
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

USER_WORD_FREQ = 2_000_000  # jieba frequency of a catalogue name: above any word of its own dictionary

Segmenter = Any  # a ``jieba.Tokenizer`` (jieba ships no type information)


def new_segmenter(words: Sequence[str] = ()) -> Segmenter:
    """A ``jieba.Tokenizer`` with jieba's own dictionary, taught ``words`` (see :func:`teach`)."""
    import jieba

    segmenter = jieba.Tokenizer()
    teach(segmenter, words)
    return segmenter


def teach(segmenter: Segmenter, words: Sequence[str]) -> None:
    """Add each word of two characters or more to a segmenter, leaving its total frequency as it was.

    jieba's ``add_word`` adds the frequency to the dictionary's total. Every word's probability is its frequency
    over that total, and a route of more words pays it more times: a catalogue of 2,300 names multiplied the
    total by five and cut everyday text differently (在手机上 as 在手/机上, 想去 whole). With the total kept, the
    names stay whole and everything else is cut as jieba cuts it, whatever the catalogue's size; teaching a
    word twice changes nothing either.
    """
    segmenter.check_initialized()
    segmenter.__dict__.pop("_cut_memo", None)  # what it cut before may cut differently now
    total = segmenter.total
    for word in dict.fromkeys(words):
        if len(word) >= 2 and segmenter.FREQ.get(word) != USER_WORD_FREQ:
            segmenter.add_word(word, freq=USER_WORD_FREQ)
    segmenter.total = total


def save_segmenter(segmenter: Segmenter, path: Path) -> None:
    """Write a segmenter's dictionary (prefix dictionary and total), for :func:`load_segmenter`."""
    segmenter.check_initialized()
    path.write_bytes(marshal.dumps((segmenter.FREQ, segmenter.total)))


def load_segmenter(path: Path) -> Segmenter:
    """A segmenter holding the dictionary :func:`save_segmenter` wrote.

    Building jieba's prefix dictionary and adding a city's names costs one to several seconds; reading the saved
    one costs a fraction (``marshal.loads`` on the bytes: jieba's own ``marshal.load(file)`` is ~5x slower).
    """
    import jieba

    segmenter = jieba.Tokenizer()
    segmenter.FREQ, segmenter.total = marshal.loads(path.read_bytes())
    segmenter.initialized = True
    return segmenter


def word_frequencies(segmenter: Segmenter) -> dict[str, int]:
    """The segmenter's word -> frequency table (live: words taught later show in it)."""
    segmenter.check_initialized()
    return segmenter.FREQ


def everyday_count(segmenter: Segmenter, word: str) -> int:
    """How often jieba's own dictionary counts ``word`` (0 for a word it lacks, or one taught from the catalogue:
    a name or an alias is no everyday word): 建设 26,381, 规划 5,445, 户口 1,072, 公积金 556."""
    count = int(word_frequencies(segmenter).get(word, 0))
    return 0 if count == USER_WORD_FREQ else count


# jieba's part-of-speech tags of a noun: common, proper, place, organisation, other proper, and an abbreviation
# (产权证, 车管所: "j")
NOUN_TAGS = frozenset({"n", "ng", "nr", "nrt", "ns", "nt", "nz", "j"})


@functools.lru_cache(maxsize=1)
def _not_things() -> frozenset[str]:
    """The words jieba's own dictionary tags other than a noun (verbs, adjectives, numerals …): a set of them, not
    every word's tag, to keep a serving process small (12 MB by ``tracemalloc``, where a dict of all 349,045 tags
    took 39)."""
    import jieba

    with jieba.Tokenizer().get_dict_file() as lines:
        return frozenset(
            parts[0] for line in lines if len(parts := line.decode("utf-8").split()) == 3 and parts[2] not in NOUN_TAGS
        )


def names_a_thing(word: str) -> bool:
    """Whether jieba's own dictionary tags ``word`` a noun (:data:`NOUN_TAGS`: 护照, 产权证, 饭馆; not 做好, 不开,
    五年), or lacks it (收款卡, a word taught from the catalogue): what it names, not what is done or how much. The
    dictionary is read once per process (0.2 s; :meth:`assistant.qa.QuestionAnswerer.prepare` does it at load)."""
    return word not in _not_things()


CUT_MEMO = 4096  # texts whose cut a segmenter remembers
# the modal verbs jieba's HMM joins to the verb after them when it knows no word there (能补, 要交, 能取, 要交满:
# 身份证丢了能补吗, 装修能取吗, 最少要交满几年); the modal is a word of its own unless jieba's dictionary counts the
# whole at least RARE times (能否 1,845, 想要 2,032, 要求 23,944; its 能取 and 能开 count 3, its 能征 5)
MODALS = frozenset("能可要想会该需")
RARE = 5
_HAN = re.compile("[\u4e00-\u9fff]+")


def cut(segmenter: Segmenter, text: str) -> list[str]:
    """``segmenter.lcut(text)`` (accurate mode, HMM on) with a modal verb apart from the verb jieba joined it to
    (:data:`MODALS`), remembered per segmenter: a question is cut by its reader and again, in search mode, for BM25
    (:func:`cut_for_search` starts from this cut); spaCy cuts with it too (:class:`Cutter`)."""
    memo: dict[str, list[str]] = segmenter.__dict__.setdefault("_cut_memo", {})
    found = memo.get(text)
    if found is None:
        if len(memo) >= CUT_MEMO:
            memo.clear()
        found = memo[text] = _modals_apart(segmenter.lcut(text), segmenter.FREQ)
    return list(found)


def forget_cuts(segmenter: Segmenter) -> None:
    """Drop the cuts a segmenter remembers (after cutting texts no question repeats: a build's whole guides)."""
    segmenter.__dict__.pop("_cut_memo", None)


class Cutter:
    """A segmenter as spaCy's Chinese tokenizer calls it (``cut(text, cut_all=False)``), cutting as :func:`cut`."""

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter

    def cut(self, text: str, cut_all: bool = False) -> list[str]:
        return cut(self.segmenter, text)


def _modals_apart(words: list[str], frequencies: dict[str, int]) -> list[str]:
    """``words`` with every modal verb (:data:`MODALS`) that jieba joined to the one or two characters after it into
    no word of its dictionary's cut off: 装修能取吗 -> 装修 / 能 / 取 / 吗, whose 取 is 提取's; 最少要交满几年 ->
    最少 / 要 / 交满 / 几年."""
    out: list[str] = []
    for word in words:
        if 2 <= len(word) <= 3 and word[0] in MODALS and frequencies.get(word, 0) < RARE and _HAN.fullmatch(word):
            out += [word[0], word[1:]]
        else:
            out.append(word)
    return out


def cut_for_search(segmenter: Segmenter, text: str) -> list[str]:
    """``segmenter.lcut_for_search(text)``, computed from :func:`cut` as jieba computes it (the two- and
    three-character dictionary words inside each longer word, then the word)."""
    frequencies = segmenter.FREQ
    out: list[str] = []
    for word in cut(segmenter, text):
        if len(word) > 2:
            out += [word[i : i + 2] for i in range(len(word) - 1) if frequencies.get(word[i : i + 2])]
        if len(word) > 3:
            out += [word[i : i + 3] for i in range(len(word) - 2) if frequencies.get(word[i : i + 3])]
        out.append(word)
    return out
