"""Sentence embeddings: the default model is trained locally from the catalogue; a deployment may name any
sentence-transformers model or local path instead, loaded by the same code.

No model hub is reachable where this runs, so the default is a ``StaticEmbedding`` (a bag of learned token
vectors) over a BPE tokenizer trained with ``tokenizers`` on the catalogue's own text, then trained with
MultipleNegativesRankingLoss on (question-like text, guide text) pairs. It encodes a query in well under a
millisecond on CPU.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path

LOCAL_DEFAULT = "local-static"  # the model name that means "train one from the catalogue"


def train_tokenizer(texts: Sequence[str], vocab_size: int = 8000):
    """A BPE tokenizer learned on the catalogue: frequent words become tokens, every character stays known."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    alphabet = sorted({ch for text in texts for ch in text if not ch.isspace()})
    trainer = trainers.BpeTrainer(
        vocab_size=max(vocab_size, len(alphabet) + 2),
        special_tokens=["[UNK]", "[PAD]"],
        initial_alphabet=alphabet,
        # short tokens (characters and common pairs) let a partial or misspelt name still share tokens
        max_token_length=2,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def train_static_model(
    pairs: Sequence[tuple[str, str]],
    corpus: Sequence[str],
    *,
    dim: int = 256,
    seed: int = 13,
    epochs: int = 2,
    batch_size: int = 128,
    progress: Callable[[int, int], None] = lambda done, total: None,
):
    """Train the default embedding model.

    Args:
        pairs: (anchor, positive) texts; other positives in a batch serve as negatives.
        corpus: all texts the tokenizer should know (guides and questions).
        dim: embedding size.
        seed: fixes tokenizer-independent randomness (initial vectors, batch order).
        epochs: passes over ``pairs``.
        batch_size: pairs per step.
        progress: called with (steps done, steps total).

    Returns:
        A ``SentenceTransformer``.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = train_tokenizer([*corpus, *(a for a, _ in pairs)])
    # small initial vectors: a token never seen in training then adds almost nothing to a sentence
    static = StaticEmbedding(tokenizer, embedding_weights=torch.randn(tokenizer.get_vocab_size(), dim) * 0.01)
    model = SentenceTransformer(modules=[static], device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    order = list(pairs)
    steps = epochs * ((len(order) + batch_size - 1) // batch_size)
    done = 0
    model.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            anchors = model.tokenize([a for a, _ in batch])
            positives = model.tokenize([p for _, p in batch])
            value = loss([anchors, positives], torch.zeros(len(batch)))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            done += 1
            progress(done, steps)
    model.eval()
    return model


def load_model(name_or_path: str | Path):
    """Load a sentence-transformers model by local path or by name (from the local cache only)."""
    from sentence_transformers import SentenceTransformer

    path = Path(name_or_path)
    if not path.exists():
        # never download at run time: a named model must already be in the local cache
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformer(str(name_or_path), device="cpu")
