"""Serving without spaCy: the hashes are spaCy's and thinc's, and the reader analyses every question as the spaCy
pipeline it was exported from (same element, mentions and scores)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from nlu.elements import ElementPipeline, save_mention_tokens
from nlu.murmur import ngram_hashes, slot_hashes, string_hash
from nlu.reader import ElementReader, words_and_spaces
from nlu.segmenter import new_segmenter

CHARACTERS = (
    "的一是了我不人在有这个上们来到时大地为子中你说生国年着就那和要出也得里后自以会家可下而过天去能对小多然于心学么之都"
    "办证件身份结婚登记补领换领户口社保医保公积金护照签注机动车驾驶残疾失业养老退休多久在哪带什么材料怎么网上收费"
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " \u3000\t\n_-*+#@!?.,;:'\"()[]{}<>/\\|~`，。？！、；：“”‘’（）《》【】…—·¥%&=^"
    "é儿ß😀👍🏻\u200b\x1fⓍ⊢⊣"
)
# spaCy numbers these strings by a symbol id, not by their hash
SYMBOLS = ["ID", "X", "_", "cc", "nn", "ORTH", "NOUN", "PERSON", "ROOT", "nsubj"]


def eval_questions() -> list[str]:
    """Every question of the evaluation sets (about 2,200)."""
    questions = []
    for path in sorted((REPO / "tests" / "eval").glob("*.tsv")):
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        questions += [line.split("\t")[0] for line in lines if line.strip()]
    return questions


def odd_texts(phrases: list[str], count: int = 400, seed: int = 7) -> list[str]:
    """Empty, blank, punctuation only, very long, Latin, masked, spaCy's symbol strings, and random mixes of
    characters and mention phrases."""
    rng = random.Random(seed)
    punctuation = "_-*+#@!?.,;:，。？！、；：“”（）《》…—·"
    texts = [
        "",
        " ",
        "  ",
        "\t",
        "\n",
        "\u3000",
        " 结婚证 ",
        "结婚证  要带 什么",
        "****",
        "***结婚证****",
        "？？？",
        "。",
    ]
    texts += ["".join(rng.choice(punctuation) for _ in range(rng.randint(1, 12))) for _ in range(30)]
    texts += [*SYMBOLS, " ".join(SYMBOLS), "".join(SYMBOLS), "X证要带什么", "ID卡丢了"]
    texts += ["a" * 5000, "结婚证要带什么材料" * 300, "".join(rng.choice(CHARACTERS) for _ in range(3000))]
    texts += [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ABCXYZ") for _ in range(rng.randint(1, 40))) for _ in range(40)
    ]
    for _ in range(count):
        parts = [
            rng.choice(phrases) if phrases and rng.random() < 0.3 else rng.choice(CHARACTERS)
            for _ in range(rng.randint(1, 30))
        ]
        texts.append("".join(parts))
    return texts


def assert_same_analyses(reader: ElementReader, spacy_pipeline: ElementPipeline, texts: list[str]) -> None:
    for text in texts:
        got, expected = reader.analyse(text), spacy_pipeline.analyse(text)
        assert (got.element, got.mentions) == (expected.element, expected.mentions), text
        assert got.element_score == pytest.approx(expected.element_score, abs=1e-6), text
        assert got.out_of_scope == pytest.approx(expected.out_of_scope, abs=1e-6), text


def test_string_hash_is_spacys():
    from spacy.strings import hash_string

    rng = random.Random(1)
    strings = ["a", " ", "****", "结婚证", "ITEM||marriage", *SYMBOLS, "x" * 1000]
    strings += ["".join(rng.choice(CHARACTERS) for _ in range(rng.randint(1, 24))) for _ in range(10_000)]
    assert [string_hash(s) for s in strings] == [hash_string(s) for s in strings]


def test_ngram_and_slot_hashes_are_thincs():
    import murmurhash
    from thinc.api import NumpyOps

    rng = random.Random(2)
    ops = NumpyOps()
    for n in (1, 2, 3, 4):
        for length in (1, 2, 3, 7, 60):
            keys = np.array([rng.getrandbits(64) for _ in range(length)], dtype=np.uint64)
            assert ngram_hashes(keys, n).tolist() == ops.ngrams(n, keys).tolist(), (n, length)
    keys = np.array([0, 1, 2**64 - 1, *(rng.getrandbits(64) for _ in range(2000))], dtype=np.uint64)
    for seed in (0, 1):
        # thinc's sparse linear layer hashes a key's 8 bytes with MurmurHash3_x86_32, as the murmurhash package does
        expected = [murmurhash.hash_bytes(int(key).to_bytes(8, "little"), seed) & 0xFFFFFFFF for key in keys]
        assert slot_hashes(keys, seed).tolist() == expected


def test_words_and_spaces_are_spacys():
    from spacy.util import get_words_and_spaces

    segmenter = new_segmenter(["结婚登记"])
    for text in [
        "",
        " ",
        "a  b",
        "结婚登记 要带 什么  ",
        " 前面有空格",
        "\t结婚\n登记\u3000",
        *odd_texts([], count=200),
    ]:
        words = [w for w in segmenter.cut(text, cut_all=False) if w]
        assert words_and_spaces(words, text) == get_words_and_spaces(words, text), text
    with pytest.raises(ValueError):
        words_and_spaces(["结婚", "离婚"], "结婚登记")


@pytest.mark.slow
def test_the_reader_analyses_as_spacy_where_entries_share_phrases(tmp_path: Path):
    # several entries share a name (a shared alias in a provincial export), some names contain others, one is
    # spaCy's symbol "X"; trained as tests/assistant/retrieval/test_index.py's shared-phrase pipeline
    mentions = {f"entry-{i}": ["机动车注册登记", f"注册登记{i}"] for i in range(12)}
    mentions["other"] = ["机动车", "注册登记", "登记"]
    mentions["marriage"] = ["内地居民结婚登记", "结婚证", "扯证", "X"]
    segmenter = new_segmenter()
    ElementPipeline.train(mentions, segmenter=segmenter, seed=1, epochs=2).save(tmp_path / "spacy")
    save_mention_tokens(tmp_path / "spacy", segmenter)
    reader = ElementReader.load(tmp_path / "spacy", segmenter)
    spacy_pipeline = ElementPipeline.load(tmp_path / "spacy", segmenter)
    phrases = sorted({p for names in mentions.values() for p in names})
    texts = [*eval_questions(), *odd_texts(phrases)]
    texts += ["机动车注册登记要带什么", "注册登记3和注册登记11", "机动车登记", "我想办机动车注册登记机动车注册登记"]
    assert_same_analyses(reader, spacy_pipeline, texts)


@pytest.mark.slow
def test_the_index_reader_analyses_as_spacy(holder):
    index = holder.current.index
    spacy_pipeline = ElementPipeline.load(index.directory / "spacy", index.segmenter)
    questions = eval_questions()
    phrases = sorted({index.normaliser(p) for e in index.entries for p in (e.name, *e.aliases)} - {""})
    texts = [*questions, *(index.normaliser(q) for q in questions), *odd_texts(phrases)]
    assert_same_analyses(index.pipeline, spacy_pipeline, texts)
