"""Fit the confidence calibration of question answering on a development split, and sweep the threshold.

Usage::

    python -m assistant.evaluation.calibrate tests/eval/dev.tsv [tests/eval/dev2.tsv ...] [--catalogue DIR ...] [--fusion]
    python -m assistant.evaluation.calibrate SPLIT ... --guide-weights 0 0.3 0.5 0.6 2

Prints the logistic weights of (cosine, coverage, mention, retrievers agree, in scope) -> "the top item is right" and,
for each refusal threshold, the evaluation figures with those weights. ``assistant.qa.decision.Thresholds`` holds the
values chosen from this output; never run it on the held-out test split. ``--fusion`` prints instead the item
accuracy@1 of a grid of fusion weights (``assistant.qa.ranking.FUSION`` and ``PRIOR_POWER`` were chosen from it, with
and without ``-c var/gd``). ``--guide-weights`` prints each split's figures, answers and refusals included, for each
weight of the whole guides in BM25 (``assistant.retrieval.bm25.GUIDE_WEIGHT`` was chosen from it; 0 searches the
names alone, as before December 2026).
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

import numpy as np

from assistant.evaluation.seeds import held_out


def fit(features: np.ndarray, labels: np.ndarray, steps: int = 5000, rate: float = 0.5, l2: float = 0.001):
    """Logistic regression by gradient descent; returns (weights, bias)."""
    weights, bias = np.zeros(features.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(features @ weights + bias)))
        gradient = p - labels
        weights -= rate * (features.T @ gradient / len(labels) + l2 * weights)
        bias -= rate * gradient.mean()
    return weights, bias


def sweep_fusion(qa, cases) -> None:
    """Print, best first, the share of in-scope questions whose top fused candidate is the expected entry, for a
    grid of fusion weights (BM25, cosine, mention) and prior powers."""
    import itertools

    from assistant.qa.ranking import FUSION, PRIOR_POWER, fuse

    signals = []
    for case in cases:
        question = qa.analyse(case.query)
        if case.item is not None and question.readable:
            signals.append((case.item, qa.retrieve(question)))

    names, priors = qa.ranker.names, qa.ranker.priors

    def top_1(weights: tuple[float, float, float], power: float) -> float:
        right = 0
        for item, found in signals:
            scores = fuse(found.bm25, found.dense, found.mentioned, priors, weights, power)
            right += bool(scores) and names[max(scores, key=scores.get)] == item
        return right / len(signals)

    grid = itertools.product((0.3, 0.5, 0.7, 1.0), (0.5, 1.0, 1.5, 2.0), (0.0, 0.2, 0.4, 0.6), (0, 1, 3, 5))
    rows = [(top_1((b, c, m), power), (b, c, m), power) for b, c, m, power in grid]
    print(f"top-1 over {len(signals)} in-scope questions; weights (bm25, cosine, mention), prior power")
    print(f"{top_1(FUSION, PRIOR_POWER):.1%}  {FUSION}  {PRIOR_POWER}  (assistant.qa.ranking now)")
    for share, weights, power in sorted(rows, reverse=True)[:15]:
        print(f"{share:.1%}  {weights}  {power}")


def sweep_guide_weights(qa, paths: list[Path], weights: list[float]) -> None:
    """Print, per weight of the whole guides in BM25 and per split, the figures of the answers."""
    from assistant.evaluation.evaluate import read_cases, score

    splits = {path: read_cases(path) for path in paths}
    shown = ("item_accuracy@1", "in_scope_wrongly_refused", "out_of_scope_recall", "reply_contains_expected")
    print("guide weight  split  " + "  ".join(shown))
    for weight in weights:
        qa.bm25.guide_weight = weight
        for path, cases in splits.items():
            report = score(cases, [qa.ask(case.query) for case in cases], by_length=False)
            counts = report.counts()
            cells = [f"{report.ratio(*counts[key]):.1%}" if counts.get(key, (0, 0))[1] else "-" for key in shown]
            print(f"{weight:<12g}  {path.name}  " + "  ".join(cells))


def main(argv: list[str] | None = None) -> None:
    """Fit, then print the weights and a threshold sweep."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path, help="development splits (never the test split)")
    parser.add_argument("--catalogue", "-c", action="append", default=[], type=Path)
    parser.add_argument(
        "--fusion", action="store_true", help="sweep the fusion weights (ranking only) instead of calibrating"
    )
    parser.add_argument(
        "--guide-weights",
        nargs="+",
        type=float,
        help="print each split's figures for these weights of the whole guides in BM25 instead of calibrating",
    )
    args = parser.parse_args(argv)
    if args.guide_weights and (refused := held_out(args.paths)):
        parser.error(f"{', '.join(map(str, refused))} held out: choose a weight on development splits only")
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from assistant.evaluation.evaluate import read_cases, score
    from assistant.qa import QuestionAnswerer, Thresholds
    from assistant.retrieval.index import default_directories, open_index
    from assistant.serving.settings import PathSettings

    index = open_index(default_directories(args.catalogue), PathSettings().index_root)
    cases = [case for path in args.paths for case in read_cases(path)]
    if args.fusion:
        sweep_fusion(QuestionAnswerer.from_index(index), cases)
        return
    if args.guide_weights:
        sweep_guide_weights(QuestionAnswerer.from_index(index), args.paths, args.guide_weights)
        return
    # every question with a ranking, whatever the confidence would say: the features the decision reads
    raw = QuestionAnswerer.from_index(index, Thresholds(answer=0.0, weights=(0, 0, 0, 0, 0), bias=0))
    features, labels = [], []
    for case in cases:
        question = raw.analyse(case.query)
        if not question.readable:
            continue
        scored = raw.score(question, raw.retrieve(question))
        if raw.decide(question, scored).kind in ("answer", "clarify") and scored.ranked:
            features.append(scored.features)
            labels.append(float(case.item is not None and raw.ranker.names[scored.ranked[0][0]] == case.item))
    weights, bias = fit(np.array(features), np.array(labels))
    print(f"weights {tuple(round(float(w), 2) for w in weights)} bias {bias:.2f} ({len(labels)} answered questions)")
    for threshold in (0.3, 0.33, 0.35, 0.37, 0.4, 0.45, 0.5):
        qa = QuestionAnswerer.from_index(index, Thresholds(answer=threshold, weights=tuple(weights), bias=float(bias)))
        figures = score(cases, [qa.ask(c.query) for c in cases]).figures()
        print(f"threshold {threshold:.2f}  " + "  ".join(f"{k} {v:.1%}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
