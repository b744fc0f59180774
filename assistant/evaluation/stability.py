"""How far an alias reaches: the splits asked on the bundled catalogue and on the same catalogue with one alias, or
several, added (through ``additions.yaml``, as a city adds them), and the answers that changed.

An alias retrains the index (its models learn from names and aliases); a good build moves only the questions the
new words are in. Each side is built in its own process (jieba's dictionary is process-wide) under a temporary
index root, so nothing in ``var/`` changes.

Usage::

    python -m assistant.evaluation.stability SPLIT ... --alias fertility-registration=三孩政策 [--alias …]

Prints, per split and in all, how many questions got another entry or element, and those questions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

Answers = Mapping[str, Sequence[Sequence[str | None]]]  # split -> per question (query, kind, entry, element)


def changed(before: Answers, after: Answers) -> dict[str, list[str]]:
    """Per split, the questions whose kind, entry or element differ, each as "query | before -> after"."""
    out: dict[str, list[str]] = {}
    for split, rows in before.items():
        out[split] = [
            f"{old[0]} | {' '.join(str(v) for v in old[1:])} -> {' '.join(str(v) for v in new[1:])}"
            for old, new in zip(rows, after[split], strict=True)
            if list(old[1:]) != list(new[1:])
        ]
    return out


def _answer(catalogue: Path, root: Path, out: Path, paths: Sequence[Path]) -> None:
    """Build (or reuse) the index of ``catalogue`` under ``root`` and write every split's answers to ``out``."""
    from assistant.evaluation.evaluate import read_cases
    from assistant.qa import QuestionAnswerer
    from assistant.retrieval.index import default_directories, open_index

    qa = QuestionAnswerer.from_index(open_index(default_directories([catalogue], bundled=False), root))
    answers = {}
    for path in paths:
        rows = []
        for case in read_cases(path):
            answer = qa.ask(case.query)
            rows.append([case.query, answer.kind, answer.item, answer.element])
        answers[str(path)] = rows
    out.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="evaluation splits to ask")
    parser.add_argument(
        "--alias",
        action="append",
        default=[],
        help="ENTRY_ID=ALIAS, an alias to add to that entry (repeat it to add several at once)",
    )
    parser.add_argument("--answers", nargs=3, type=Path, help=argparse.SUPPRESS)  # one side, in its own process
    args = parser.parse_args(argv)
    if args.answers:
        _answer(*args.answers, args.paths)
        return 0
    if not args.alias:
        parser.error("give the alias to add: --alias ENTRY_ID=ALIAS, e.g. fertility-registration=三孩政策")
    added: dict[str, list[str]] = {}  # entry id -> the aliases added to it
    for given in args.alias:
        entry, _, alias = given.partition("=")
        if not entry or not alias:
            print("--alias takes ENTRY_ID=ALIAS, e.g. fertility-registration=三孩政策", file=sys.stderr)
            return 2
        added.setdefault(entry, []).append(alias)
    missing = [path for path in args.paths if not path.is_file()]
    if missing:
        print(f"no such split: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2

    from knowledge import additions
    from knowledge.catalogue import BUNDLED

    with tempfile.TemporaryDirectory(prefix="stability-") as tmp:
        work = Path(tmp)
        results = {}
        for side in ("before", "after"):
            catalogue = work / side / "catalogue"
            shutil.copytree(BUNDLED, catalogue)
            if side == "after":
                for entry, aliases in added.items():
                    additions.append(catalogue, additions.Addition(entry=entry, aliases=aliases))
            print(f"{side}: building the index and asking {len(args.paths)} split(s)", flush=True)
            out = work / f"{side}.json"
            command = [sys.executable, "-m", "assistant.evaluation.stability", *map(str, args.paths)]
            command += ["--answers", str(catalogue), str(work / "index"), str(out)]
            subprocess.run(command, check=True)
            results[side] = json.loads(out.read_text(encoding="utf-8"))
    moved = changed(results["before"], results["after"])
    total = sum(len(rows) for rows in results["before"].values())
    for split, rows in moved.items():
        print(f"{split}: {len(rows)} of {len(results['before'][split])} answers changed")
        for row in rows:
            print(f"  {row}")
    aliases = ", ".join(alias for names in added.values() for alias in names)
    print(f"in all: {sum(len(rows) for rows in moved.values())} of {total} answers changed by adding {aliases}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
