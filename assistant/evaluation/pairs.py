"""How the console's unanswered queue would group the splits' questions: of all pairs of in-scope questions, the
share whose vectors reach :data:`assistant.console.unanswered.SIMILAR_VECTORS` (cosine), for pairs asking one
element of one entry (a rephrasing: to be grouped) and pairs about two different entries (to be kept apart).

Questions are read as the console reads them (:class:`assistant.console.unanswered.IndexReader`: the served index's
normaliser and embeddings).

Usage::

    python -m assistant.evaluation.pairs tests/eval/dev.tsv … tests/eval/dev5.tsv [--thresholds 0.5 0.6]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.evaluation.evaluate import Case, read_cases


def shares(cases: Sequence[Case], vectors: np.ndarray, thresholds: Sequence[float]) -> list[tuple[float, float, float]]:
    """For each threshold, (threshold, share of same item-and-element pairs at or above it, share of different-item
    pairs at or above it); ``vectors`` are the cases' unit vectors, in order."""
    similar = vectors @ vectors.T
    upper = np.triu_indices(len(cases), k=1)
    items = np.array([case.item for case in cases], dtype=object)
    elements = np.array([case.element for case in cases], dtype=object)
    same_item = items[upper[0]] == items[upper[1]]
    same = same_item & (elements[upper[0]] == elements[upper[1]])
    cosines = similar[upper]
    rows = []
    for threshold in thresholds:
        above = cosines >= threshold
        rows.append((threshold, float(above[same].mean()), float(above[~same_item].mean())))
    return rows


def main(argv: list[str] | None = None) -> int:
    from assistant.console.unanswered import SIMILAR_VECTORS

    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation.pairs", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="evaluation TSVs (query, item, element)")
    parser.add_argument("--thresholds", nargs="+", type=float, default=[SIMILAR_VECTORS], help="cosines to count")
    args = parser.parse_args(argv)

    from assistant.console.unanswered import IndexReader
    from assistant.retrieval.index import default_directories, open_index
    from assistant.serving.settings import PathSettings

    try:
        cases = [case for path in args.paths for case in read_cases(path) if case.item is not None]
    except (OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if len(cases) < 2:
        print("fewer than two in-scope questions: no pairs", file=sys.stderr)
        return 2
    index = open_index(default_directories([]), PathSettings().index_root, progress=lambda m: print(m, file=sys.stderr))
    reader = IndexReader(index)
    vectors = reader.vectors([reader.normalise(case.query) for case in cases])
    if vectors is None:
        print("the index has no embeddings", file=sys.stderr)
        return 2
    print(f"{len(cases)} in-scope questions from {len(args.paths)} files")
    for threshold, same, different in shares(cases, vectors, args.thresholds):
        print(
            f"cosine >= {threshold:.2f}: {same:.1%} of the pairs asking one element of one entry, "
            f"{different:.2%} of the pairs about two different entries"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
