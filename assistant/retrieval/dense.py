"""Dense retrieval: the question's sentence embedding against the guides' in FAISS (exact inner product)."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.retrieval.types import Hit


class DenseRetriever:
    """The entries whose text means most nearly what a question says.

    Args:
        model: has ``encode(texts, normalize_embeddings=True)``: a
            :class:`~assistant.retrieval.embedding.StaticEncoder` or a ``SentenceTransformer``.
        vectors: the FAISS index of the entries' normalised embeddings.
    """

    def __init__(self, model: Any, vectors: Any):
        self.model = model
        self.vectors = vectors

    def search(self, text: str, k: int) -> list[Hit]:
        """(entry position, cosine similarity) for a normalised question, best first."""
        vector = np.asarray(self.model.encode([text], normalize_embeddings=True), dtype="float32")
        scores, ids = self.vectors.search(vector, min(k, self.vectors.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
