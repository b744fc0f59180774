"""The embedding model: the numpy encoder the index serves with gives the vectors sentence-transformers gives."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.embedding import StaticEncoder, train_tokenizer

TEXTS = [
    "结婚登记要带什么材料",
    "身份证丢了怎么办",
    "护照",
    "",
    "😀",
    "How do I get a passport?",
    "公积金 提取 要 多久",
]
CORPUS = ["内地居民结婚登记", "居民身份证补领", "普通护照签发", "住房公积金提取", "结婚登记需要什么材料"]


def test_saved_encoder_loads_and_encodes_the_same(tmp_path):
    tokenizer = train_tokenizer(CORPUS, vocab_size=200)
    weights = np.random.default_rng(3).standard_normal((tokenizer.get_vocab_size(), 16)).astype(np.float32)
    encoder = StaticEncoder(tokenizer, weights)
    encoder.save(tmp_path / "static")
    loaded = StaticEncoder.load(tmp_path / "static")
    assert np.array_equal(loaded.weights, weights)
    assert np.array_equal(
        loaded.encode(TEXTS, normalize_embeddings=True), encoder.encode(TEXTS, normalize_embeddings=True)
    )


def test_encoder_means_token_rows_and_normalises(tmp_path):
    tokenizer = train_tokenizer(CORPUS, vocab_size=200)
    weights = np.random.default_rng(5).standard_normal((tokenizer.get_vocab_size(), 8)).astype(np.float32)
    encoder = StaticEncoder(tokenizer, weights)
    vectors = encoder.encode(TEXTS, normalize_embeddings=True)
    assert vectors.shape == (len(TEXTS), 8) and vectors.dtype == np.float32
    ids = tokenizer.encode("护照", add_special_tokens=False).ids
    expected = weights[ids].mean(axis=0)
    assert np.allclose(vectors[2], expected / np.linalg.norm(expected), atol=1e-6)
    assert not vectors[3].any()  # no tokens: a zero vector, as sentence-transformers gives
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 2, 6]], axis=1), 1.0, atol=1e-6)


@pytest.mark.integration
def test_numpy_encoder_matches_sentence_transformers():
    from assistant.retrieval.embedding import train_static_model

    pairs = [("结婚登记要带什么", CORPUS[0]), ("身份证丢了", CORPUS[1]), ("办护照", CORPUS[2]), ("取公积金", CORPUS[3])]
    model = train_static_model(pairs, CORPUS, dim=32, seed=13, epochs=3, batch_size=2)
    encoder = StaticEncoder.from_model(model)
    texts = [*TEXTS, *CORPUS]
    for normalise in (False, True):
        expected = model.encode(texts, normalize_embeddings=normalise)
        assert np.allclose(encoder.encode(texts, normalize_embeddings=normalise), expected, atol=1e-6, rtol=0)


def test_members_vote_alike_a_cosine_is_the_mean_of_theirs(tmp_path):
    tokenizer = train_tokenizer(CORPUS, vocab_size=200)
    rng = np.random.default_rng(7)
    stack = rng.standard_normal((3, tokenizer.get_vocab_size(), 8)).astype(np.float32)
    members = [StaticEncoder(tokenizer, weights) for weights in stack]
    encoder = StaticEncoder(tokenizer, stack)
    encoder.save(tmp_path / "static")
    loaded = StaticEncoder.load(tmp_path / "static")

    texts = ["结婚登记要带什么材料", "身份证丢了怎么办", "", "护照"]
    vectors = loaded.encode(texts)  # unit length without being asked: each member's unit vector, scaled
    assert loaded.members == 3 and vectors.shape == (4, 24) and loaded.get_sentence_embedding_dimension() == 24
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1.0, atol=1e-6)
    assert not vectors[2].any()
    each = [m.encode(texts, normalize_embeddings=True) for m in members]
    assert np.allclose(vectors[0] @ vectors[1], np.mean([e[0] @ e[1] for e in each]), atol=1e-6)
