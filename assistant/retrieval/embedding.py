"""Sentence embeddings: the default model is trained locally from the catalogue; a deployment may name any
sentence-transformers model or local path instead, loaded by the same code.

No model hub is reachable where this runs, so the default is a ``StaticEmbedding`` (a bag of learned token
vectors) over a BPE tokenizer trained with ``tokenizers`` on the catalogue's own text, then trained with
MultipleNegativesRankingLoss on (question-like text, guide text) pairs. It encodes a query in well under a
millisecond on CPU.

At query time such a model is only a tokenizer and a mean of embedding rows, so the index keeps it as
``tokenizer.json`` plus a float32 ``embeddings.npy`` and encodes with :class:`StaticEncoder` (``tokenizers`` and
numpy): serving the default model never imports torch or sentence-transformers, which would cost seconds at
start-up. A named model or local path still loads through sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nlu import sampling

LOCAL_DEFAULT = "local-static"  # the model name that means "train one from the catalogue"
TOKENIZER_FILE = "tokenizer.json"
EMBEDDINGS_FILE = "embeddings.npy"


class StaticEncoder:
    """The query-time form of a trained ``StaticEmbedding``: token ids -> mean of embedding rows, in numpy.

    Gives the same vectors as ``SentenceTransformer.encode`` of the model it was exported from (up to float32
    rounding), with the same ``encode`` signature, so the index uses either one.

    Several models trained alike with other seeds (``members``) make one encoder: a text's vector is the members'
    unit vectors side by side, scaled to unit length, so a cosine is the mean of the members' cosines: a small model
    trained on a catalogue's few thousand pairs varies from seed to seed, their mean less.

    Args:
        tokenizer: the model's ``tokenizers.Tokenizer`` (no padding, no truncation), shared by the members.
        weights: the embedding matrix, one float32 row per token id; or a stack of them, one per member.

    Example:
        >>> encoder = StaticEncoder.load(index_dir / "static")        # doctest: +SKIP
        >>> encoder.encode(["结婚登记要带什么"], normalize_embeddings=True).shape   # doctest: +SKIP
        (1, 256)
    """

    def __init__(self, tokenizer, weights: np.ndarray):
        self.tokenizer = tokenizer
        weights = np.asarray(weights, dtype=np.float32)
        self.members = 1 if weights.ndim == 2 else int(weights.shape[0])
        # the members' rows side by side (vocabulary x members*dim): one gather per text whatever their number
        self.weights = np.ascontiguousarray(weights if weights.ndim == 2 else np.concatenate(list(weights), axis=1))

    @classmethod
    def from_model(cls, model) -> StaticEncoder:
        """Export a ``SentenceTransformer`` whose only module is a ``StaticEmbedding``."""
        static = model[0]
        weights = static.embedding.weight.detach().cpu().numpy().astype(np.float32, copy=True)
        return cls(static.tokenizer, weights)

    @classmethod
    def from_models(cls, models: Sequence) -> StaticEncoder:
        """Export several such models, trained with one tokenizer, as the members of one encoder."""
        first, *others = (cls.from_model(model) for model in models)
        if not others:
            return first
        vocabulary = first.tokenizer.get_vocab()
        if any(other.tokenizer.get_vocab() != vocabulary for other in others):
            raise ValueError("the members of an encoder must share one tokenizer")
        return cls(first.tokenizer, np.stack([first.weights, *(other.weights for other in others)]))

    def stack(self) -> np.ndarray:
        """The weights as trained: one matrix, or one per member (members x vocabulary x dim)."""
        if self.members == 1:
            return self.weights
        rows, width = self.weights.shape
        return np.ascontiguousarray(self.weights.reshape(rows, self.members, width // self.members).transpose(1, 0, 2))

    def save(self, directory: Path) -> None:
        """Write ``tokenizer.json`` and ``embeddings.npy`` into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(directory / TOKENIZER_FILE))
        np.save(directory / EMBEDDINGS_FILE, self.stack(), allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> StaticEncoder:
        """Read what :meth:`save` wrote."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return cls(tokenizer, np.load(directory / EMBEDDINGS_FILE, allow_pickle=False))

    def get_sentence_embedding_dimension(self) -> int:
        """Vector size, as sentence-transformers names it (all members' together)."""
        return int(self.weights.shape[1])

    def encode(
        self, texts: Sequence[str], batch_size: int = 1024, normalize_embeddings: bool = False, **_: object
    ) -> np.ndarray:
        """One float32 row per text: the mean of its tokens' rows (zeros for a text without tokens); with several
        members, their unit rows side by side, scaled by 1/sqrt(members) (unit length whatever the flag).

        Args:
            texts: the texts.
            batch_size: texts tokenized per call (the tokenizer parallelises inside a batch).
            normalize_embeddings: scale rows to unit length, as sentence-transformers does.
        """
        out = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            encodings = self.tokenizer.encode_batch(list(texts[start : start + batch_size]), add_special_tokens=False)
            for row, encoding in enumerate(encodings, start):
                ids = encoding.ids
                if ids:
                    # summed row by row in float32 and divided once, as torch's EmbeddingBag(mode="mean") does
                    out[row] = self.weights[ids].sum(axis=0, dtype=np.float32) / np.float32(len(ids))
        if not normalize_embeddings and self.members == 1:
            return out
        # each member to unit length (F.normalize's eps: a text without tokens stays a zero vector), then the whole
        parts = out.reshape(len(texts), self.members, -1)
        parts /= np.maximum(np.linalg.norm(parts, axis=2), np.float32(1e-12))[:, :, None]
        return out / np.float32(np.sqrt(self.members)) if self.members > 1 else out


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

    threads = torch.get_num_threads()
    # One thread: the steps are small (a bag of embeddings, a 128 x 128 similarity), so a second thread gains
    # little on an idle machine and, waiting on a busy core, makes each step several times slower (71 s instead of
    # 17 s for the bundled catalogue while another process ran); the weights are the same either way.
    torch.set_num_threads(1)
    try:
        return _train(pairs, corpus, dim=dim, seed=seed, epochs=epochs, batch_size=batch_size, progress=progress)
    finally:
        torch.set_num_threads(threads)


def _train(pairs, corpus, *, dim, seed, epochs, batch_size, progress):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    torch.manual_seed(seed)
    tokenizer = train_tokenizer([*corpus, *(a for a, _ in pairs)])
    static = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(initial_vectors(tokenizer, dim, seed)))
    model = SentenceTransformer(modules=[static], device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    # each pair named by its anchor (and which copy of it), so each epoch's batches are the anchors' (nlu.sampling)
    names = sampling.copies([anchor for anchor, _ in pairs])
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    done = 0
    model.train()
    for epoch in range(epochs):
        for batch in sampling.batches(pairs, names, batch_size, (seed, epoch)):
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


def initial_vectors(tokenizer, dim: int, seed: int) -> np.ndarray:
    """Each token's first vector, small (a token never seen in training then adds almost nothing to a sentence)
    and drawn from the token's own text: a catalogue edit that renumbers the tokenizer's vocabulary leaves every
    token where it starts."""
    vectors = np.empty((tokenizer.get_vocab_size(), dim), dtype=np.float32)
    for token, row in tokenizer.get_vocab().items():
        vectors[row] = np.random.default_rng(sampling.digest(seed, token)).standard_normal(dim) * 0.01
    return vectors


def load_model(name_or_path: str | Path):
    """Load a sentence-transformers model by local path or by name (from the local cache only)."""
    from sentence_transformers import SentenceTransformer

    # never download at run time: a named model must already be in the local cache
    local_only = not Path(name_or_path).exists()
    return SentenceTransformer(str(name_or_path), device="cpu", local_files_only=local_only)
