"""The MurmurHash functions spaCy and thinc key their tables with, in plain Python and numpy.

A trained bag-of-n-grams classifier (spaCy's ``TextCatBOW``) finds its weights by hashing: spaCy numbers each token
by a 64-bit hash of its text (:func:`string_hash`), thinc numbers each n-gram by a 64-bit hash of its tokens'
numbers (:func:`ngram_hashes`), and the sparse linear layer finds a feature's two weight slots by two 32-bit hashes
of its number (:func:`slot_hashes`). These are the same computations, so :mod:`nlu.reader` scores a question as
the trained model does without importing spaCy or thinc (``tests/nlu/test_reader.py`` checks them against both).

The arithmetic is modulo 2**64 (or 2**32): numpy's unsigned integers wrap, Python's integers are masked.
"""

from __future__ import annotations

import numpy as np

_M = 0xC6A4A7935BD1E995  # MurmurHash64A's multiplier
_R = 47
_MASK = 0xFFFFFFFFFFFFFFFF
STRING_SEED = 1  # spaCy's seed for string hashes (spacy/strings.pyx: ``hash64(utf8, length, 1)``)


def murmurhash64a(data: bytes, seed: int) -> int:
    """MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit version) of ``data``, as the ``murmurhash`` package's C
    code computes it on a little-endian machine."""
    length = len(data)
    h = (seed ^ (length * _M)) & _MASK
    blocks = length // 8
    for start in range(0, blocks * 8, 8):
        k = (int.from_bytes(data[start : start + 8], "little") * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    tail = data[blocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> _R
    h = (h * _M) & _MASK
    h ^= h >> _R
    return h


def string_hash(text: str) -> int:
    """spaCy's ``hash_string``: MurmurHash64A of the UTF-8 text with seed 1 (the number of a token's text)."""
    return murmurhash64a(text.encode("utf-8"), STRING_SEED)


def ngram_hashes(keys: np.ndarray, n: int) -> np.ndarray:
    """thinc's ``NumpyOps.ngrams``: for each run of ``n`` consecutive keys, MurmurHash64A (seed 0) of their 8n bytes.

    Args:
        keys: uint64 token numbers.
        n: the n-gram size (at least 1; 1 gives the hash of each key alone, which thinc never asks for).

    Returns:
        uint64 array of ``max(0, len(keys) - n + 1)`` hashes.
    """
    keys = np.ascontiguousarray(keys, dtype="<u8")
    count = max(0, len(keys) - (n - 1))
    return row_hashes(np.stack([keys[j : j + count] for j in range(n)], axis=1).reshape(count, n))


def row_hashes(rows: np.ndarray) -> np.ndarray:
    """MurmurHash64A (seed 0) of each row's 8n little-endian bytes: the hash thinc gives the n-gram of those keys.

    Args:
        rows: uint64, one n-gram a row (``count x n``).
    """
    rows = np.asarray(rows, dtype=np.uint64)
    count, n = rows.shape
    m = np.uint64(_M)
    r = np.uint64(_R)
    with np.errstate(over="ignore"):
        h = np.full(count, np.uint64((n * 8 * _M) & _MASK), dtype=np.uint64)  # seed 0 ^ (length * m)
        for j in range(n):
            k = rows[:, j] * m
            k ^= k >> r
            k *= m
            h ^= k
            h *= m
        h ^= h >> r
        h *= m
        h ^= h >> r
    return h


def slot_hashes(keys: np.ndarray, seed: int) -> np.ndarray:
    """thinc's ``MurmurHash3_x86_32_uint64`` (thinc/layers/sparselinear.pyx): MurmurHash3_x86_32 of each uint64 key's
    8 little-endian bytes, as uint32; the sparse linear layer's weight slot is this modulo its length."""
    keys = np.asarray(keys, dtype=np.uint64)
    c1, c2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
    h = np.full(keys.shape, seed, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for half in (keys & np.uint64(0xFFFFFFFF), keys >> np.uint64(32)):
            k = half.astype(np.uint32) * c1
            k = (k << np.uint32(15)) | (k >> np.uint32(17))
            k *= c2
            h ^= k
            h = (h << np.uint32(13)) | (h >> np.uint32(19))
            h = h * np.uint32(5) + np.uint32(0xE6546B64)
        h ^= np.uint32(8)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h
