"""What the retrieval layer hands to question answering, and its one error."""

from __future__ import annotations

Hit = tuple[int, float]  # (entry position in the index, score), best first in a list


class IndexError_(RuntimeError):
    """An index directory is missing, stale or corrupt; says what to do."""
