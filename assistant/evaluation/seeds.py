"""How much of a figure is the embedding's training seed: the development splits on indexes trained with other seeds.

The default embedding is small models trained on a few thousand pairs; another seed, or any edit of the catalogue
(an alias, a FAQ: they are its training pairs), trains other models, and some questions flip. A change is worth
keeping when its gain is larger than that spread. This builds (or reuses, in the index root) one index per seed and
prints each split's figures for every seed, then their mean and range.

Usage::

    python -m assistant.evaluation.seeds SPLIT ... [--seeds 13 14 15 16 17] [--members N] [--catalogue DIR ...]

``--members 1`` measures one model per seed; the default (``IndexSettings.members``) measures the served ensemble,
its models trained from seeds s, s+1, …: give seeds that many apart (13 18 23) for ensembles that share no model.
The held-out splits are refused: their figures are reported once, never compared across seeds to choose one.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from assistant.evaluation.evaluate import Report

HELD_OUT = frozenset({"test.tsv", "blind.tsv", "blind3.tsv", "real_test.tsv", "facts_test.tsv"})
FIGURES = ("item_accuracy@1", "in_scope_wrongly_refused", "out_of_scope_recall", "reply_contains_expected")
SEEDS = (13, 14, 15, 16, 17)

Runs = Mapping[int, Mapping[str, Report]]  # seed -> split name -> report


def held_out(paths: Sequence[Path]) -> list[Path]:
    """The paths among ``paths`` that are held-out splits."""
    return [path for path in paths if path.name in HELD_OUT]


def table(runs: Runs) -> str:
    """Each split's figures for every seed, then their mean and range (percent); a figure a split has no questions
    for (out of scope, with expected words) is left out."""
    seeds = list(runs)
    splits = list(next(iter(runs.values()))) if runs else []
    width = max([len(s) for s in splits] + [5])
    lines = [f"{'split':<{width}}  {'figure':<26}" + "".join(f"{s:>7}" for s in seeds) + "    mean   range"]
    for split in splits:
        for figure in FIGURES:
            reports = [runs[seed][split] for seed in seeds]
            if figure == "out_of_scope_recall" and not reports[0].oos_expected:
                continue  # no out-of-scope questions in the split
            values = [r.figures().get(figure) for r in reports]
            if any(v is None for v in values):
                continue  # no expected words in the split
            shown = [100 * v for v in values if v is not None]
            lines.append(
                f"{split:<{width}}  {figure:<26}"
                + "".join(f"{v:7.1f}" for v in shown)
                + f"  {statistics.fmean(shown):6.1f}  {min(shown):.1f}-{max(shown):.1f}"
            )
    return "\n".join(lines)


def run(
    paths: Sequence[Path], seeds: Sequence[int], evaluate: Callable[[int, Path], Report], progress=print
) -> dict[int, dict[str, Report]]:
    """Every split evaluated for every seed (``evaluate(seed, path)``)."""
    runs: dict[int, dict[str, Report]] = {}
    for seed in seeds:
        progress(f"seed {seed}: building or loading its index, then {len(paths)} split(s)")
        runs[seed] = {path.name: evaluate(seed, path) for path in paths}
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="development splits (never a held-out one)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--members", type=int, default=None, help="models per index (default: as served)")
    parser.add_argument("--catalogue", "-c", action="append", default=[], type=Path)
    args = parser.parse_args(argv)
    refused = held_out(args.paths)
    if refused:
        print(
            f"refused: {', '.join(map(str, refused))} held out; compare seeds on development splits only",
            file=sys.stderr,
        )
        return 2
    missing = [path for path in args.paths if not path.is_file()]
    if missing:
        print(f"no such split: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from assistant.evaluation.evaluate import evaluate
    from assistant.qa import QuestionAnswerer
    from assistant.retrieval.index import IndexSettings, default_directories, open_index
    from assistant.serving.settings import PathSettings

    directories, root = default_directories(args.catalogue), PathSettings().index_root
    members = {} if args.members is None else {"members": args.members}

    loaded: dict[int, QuestionAnswerer] = {}  # one seed's index at a time: ``run`` goes seed by seed

    def evaluate_seed(seed: int, path: Path) -> Report:
        if seed not in loaded:
            loaded.clear()
            index = open_index(directories, root, IndexSettings(seed=seed, **members), progress=_stage)
            loaded[seed] = QuestionAnswerer.from_index(index)
        return evaluate(loaded[seed], path)

    runs = run(args.paths, args.seeds, evaluate_seed, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(table(runs))
    return 0


def _stage(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
