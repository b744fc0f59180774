"""Choices and orders that a small catalogue edit leaves in place: what the trained models sample and the order
they see it in, fixed by the text of each thing rather than by its position in a list.

A seeded ``random.Random`` draws by position: one alias added to one entry shifts every later phrase, so every
template gets other fillers, every batch other examples, and answers to questions about unrelated services move
(one alias of 生育登记 changed 56 answers across the development splits). Here each thing gets a 64-bit key from
its text and a salt (the template, the epoch, the seed), the same in every process and on every machine (unlike
``hash()``); a draw takes the smallest keys and an order sorts by them. A new thing then changes a draw only where
its key ranks among the chosen, and an order only by its own place.

Example:
    >>> pick(["结婚登记", "离婚登记", "出生登记"], 2, salt="{x}要带什么")
    ['离婚登记', '结婚登记']
    >>> pick(["结婚登记", "离婚登记", "出生登记", "补领结婚证"], 2, salt="{x}要带什么")  # one more: same two
    ['离婚登记', '结婚登记']
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def digest(*parts: object) -> int:
    """A 64-bit number fixed by the text of ``parts``."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(str(part).encode("utf-8"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "little")


def digests(texts: Sequence[str]) -> np.ndarray:
    """:func:`digest` of each text, as unsigned 64-bit integers (computed once, salted many times by :func:`keys`)."""
    return np.fromiter((digest(text) for text in texts), dtype=np.uint64, count=len(texts))


def keys(base: np.ndarray, salt: object) -> np.ndarray:
    """The keys of texts whose :func:`digests` are ``base`` under ``salt``: SplitMix64's finaliser of both, so
    each salt orders the texts independently of every other."""
    x = base ^ np.uint64(digest(salt))
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def copies(texts: Sequence[str]) -> list[str]:
    """Each text with which copy of it it is ("1:在吗", "2:在吗"), so that repeated texts get keys of their own.

    Example:
        >>> copies(["在吗", "你好", "在吗"])
        ['1:在吗', '1:你好', '2:在吗']
    """
    seen: Counter[str] = Counter()
    out = []
    for text in texts:
        seen[text] += 1
        out.append(f"{seen[text]}:{text}")
    return out


def order(things: Sequence[T], texts: Sequence[str], salt: object) -> list[T]:
    """``things`` sorted by the keys of their ``texts`` under ``salt``; equal texts keep their order, so give
    repeated texts distinct ones (:func:`copies`) to spread them."""
    ranks = np.argsort(keys(digests(texts), salt), kind="stable")
    return [things[i] for i in ranks]


def pick(texts: Sequence[str], k: int, salt: object, base: np.ndarray | None = None) -> list[str]:
    """The ``k`` texts of smallest key under ``salt``, smallest first (all of them when fewer).

    Args:
        texts: the texts to choose from.
        k: how many.
        salt: what the choice is for (a template, a seed).
        base: ``digests(texts)``, when the caller draws from the same texts many times.
    """
    if k <= 0 or not texts:
        return []
    values = keys(digests(texts) if base is None else base, salt)
    if k < len(texts):
        chosen = np.argpartition(values, k - 1)[:k]
        chosen = chosen[np.argsort(values[chosen], kind="stable")]
    else:
        chosen = np.argsort(values, kind="stable")
    return [texts[i] for i in chosen]


def batches(things: Sequence[T], texts: Sequence[str], size: int, salt: object) -> list[list[T]]:
    """``things`` dealt into about ``len(things) / size`` batches by the keys of their ``texts`` under ``salt``.

    Cutting an :func:`order` into batches would move one thing across every later boundary when one is added;
    dealt by key, a thing added or removed changes its own batch only (while the number of batches holds).
    Empty batches are left out.
    """
    count = max(1, -(-len(things) // size))
    values = keys(digests(texts), salt)
    dealt: list[list[T]] = [[] for _ in range(count)]
    for i in np.argsort(values, kind="stable"):
        dealt[int(values[i] % np.uint64(count))].append(things[i])
    return [batch for batch in dealt if batch]
