"""How often the assistant answers the real messages nobody labelled: a check of false answers on real traffic.

Of the ~13,600 real messages of ``../shared/data/msgabench-gov-qa.xlsx``, two rounds of labelling found about a
hundred that a guide of the bundled catalogue answers (``tests/eval/real/README.md``); the rest ask about Beijing's
plans, complaints, local rules and services the catalogue lacks. So every answer given to a message outside the
labelled splits is very likely a wrong one: the share answered, and which guides answer them, show where the
assistant takes real traffic for its own (planning permit for questions about the city's plans, school enrolment
for local school-place rules) without touching the held-out split. Lower is better; a change that lowers it must
still keep the labelled splits' in-scope figures (``assistant eval``).

Usage::

    python -m assistant.evaluation.unlabelled [--xlsx FILE] [--half even|odd] [--show N] [--seed S] [--save FILE]
        [--against FILE]

prints the outcomes (answered, clarified, refused), the guides answering most, and N answered messages at random.
``--save`` keeps every reply (sheet, row, kind, item, text; JSON lines) and ``--against`` a run saved so, at an
earlier commit, counts the replies and items that changed and prints them: what a change does to real traffic.
``--half`` asks one half of the messages only, by the parity of their Excel row: read the answers of the even half
while making a rule, and count the odd half, unread, to see whether the rule holds on traffic it was not made on.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.qa import Answer
from assistant.workbook import REPO, XLSX, workbook_rows

SPLITS = (REPO / "tests" / "eval" / "real" / "real_dev.tsv", REPO / "tests" / "eval" / "real" / "real_test.tsv")
# rows whose column A holds an answer, not a question (question and answer swapped in the source)
SWAPPED = {"自然语言理解": range(149, 216)}
_RUNS = re.compile(r"[\t\r\n]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Row:
    """One real message: its sheet, its 1-based Excel row and its text (runs of tabs and newlines as a space)."""

    sheet: str
    row: int
    text: str


def labelled(splits: Iterable[Path] = SPLITS) -> set[tuple[str, int]]:
    """(sheet, row) of every row of the labelled splits."""
    found: set[tuple[str, int]] = set()
    for path in splits:
        with path.open(encoding="utf-8", newline="") as fh:
            found |= {(r["sheet"], int(r["row"])) for r in csv.DictReader(fh, delimiter="\t")}
    return found


def unlabelled_rows(rows: Iterable[Row], taken: set[tuple[str, int]]) -> Iterator[Row]:
    """The rows of no split, holding a message (two Chinese characters at least) that is a question."""
    for row in rows:
        if (row.sheet, row.row) in taken or row.row in SWAPPED.get(row.sheet, ()):
            continue
        if len(_CJK.findall(row.text)) >= 2:
            yield row


def half(rows: Iterable[Row], which: str | None) -> Iterator[Row]:
    """The rows of one half of the workbook, ``even`` or ``odd`` by Excel row number; all of them for None."""
    for row in rows:
        if which is None or row.row % 2 == (1 if which == "odd" else 0):
            yield row


def read_workbook(path: Path = XLSX) -> Iterator[Row]:
    """Column A of every sheet, header row skipped, runs of tabs and newlines as one space (as the splits keep it).

    Raises:
        FileNotFoundError: the workbook is missing.
    """
    for sheet, number, value in workbook_rows(path):
        yield Row(sheet, number, _RUNS.sub(" ", value).strip())


@dataclass
class Tally:
    """Outcomes of the unlabelled messages."""

    kinds: Counter[str]
    items: Counter[str]
    answered: list[tuple[Row, Answer]]
    after_refusal: int = 0  # further asks answered or asked about after the message's first ask was refused
    replies: dict[tuple[str, int], tuple[str, str | None, str]] = field(default_factory=dict)  # kind, item, text

    @classmethod
    def of(
        cls, rows: Iterable[Row], ask: Callable[[str], Answer], progress: Callable[[int], None] = lambda _: None
    ) -> Tally:
        tally = cls(Counter(), Counter(), [])
        for done, row in enumerate(rows, 1):
            answer = ask(row.text)
            tally.replies[(row.sheet, row.row)] = (answer.kind, answer.item, answer.answer)
            tally.kinds[answer.kind] += 1
            if answer.kind == "out_of_scope":
                tally.after_refusal += sum(part.kind in ("answer", "clarify") for part in answer.parts)
            if answer.kind == "answer":
                tally.items[answer.item or "?"] += 1
                tally.answered.append((row, answer))
            progress(done)
        return tally

    def text(self, top: int = 15, show: int = 0, seed: int = 1) -> str:
        total = sum(self.kinds.values())
        answered = self.kinds["answer"]
        lines = [
            f"{total} unlabelled real messages: {answered} answered ({answered / total if total else 0:.1%}), "
            f"{self.kinds['clarify']} clarified, {self.kinds['out_of_scope'] + self.kinds['empty']} refused",
            f"further asks answered or asked about after a refused first ask: {self.after_refusal}",
            "answered most by:",
            *(f"  {count:5d}  {item}" for item, count in self.items.most_common(top)),
        ]
        if show and self.answered:
            lines.append(f"{min(show, answered)} answered at random (sheet, row, guide / element, confidence):")
            for row, answer in random.Random(seed).sample(self.answered, min(show, answered)):
                lines.append(
                    f"  {row.sheet} {row.row}  {answer.item} / {answer.element or '-'}  {answer.confidence:.2f}  "
                    f"{row.text[:120]}"
                )
        return "\n".join(lines)

    def save(self, path: Path) -> None:
        """Every reply as a JSON line (sheet, row, kind, item, answer), for :meth:`against` after a change."""
        with path.open("w", encoding="utf-8") as fh:
            for (sheet, number), (kind, item, text) in self.replies.items():
                record = {"sheet": sheet, "row": number, "kind": kind, "item": item, "answer": text}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def against(self, path: Path, show: int = 0) -> str:
        """How the replies differ from a run saved with :meth:`save`: replies changed, items changed, the first
        ``show`` of them."""
        with path.open(encoding="utf-8") as fh:
            before = {(r["sheet"], r["row"]): (r["kind"], r["item"], r["answer"]) for r in map(json.loads, fh)}
        changed = [key for key, reply in self.replies.items() if key in before and before[key] != reply]
        moved = [key for key in changed if before[key][:2] != self.replies[key][:2]]
        lines = [f"against {path}: {len(changed)} replies changed, {len(moved)} of them in kind or item"]
        for key in (moved + [k for k in changed if k not in moved])[:show]:
            (kind, item, _), (now_kind, now_item, _) = before[key], self.replies[key]
            lines.append(f"  {key[0]} {key[1]}  {kind} {item or '-'} -> {now_kind} {now_item or '-'}")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluation.unlabelled", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--xlsx", type=Path, default=XLSX, help="the real messages (default ../shared/data/…)")
    parser.add_argument(
        "--half", choices=("even", "odd"), help="only the rows of even or odd Excel row number (default: all)"
    )
    parser.add_argument("--show", type=int, default=0, help="answered messages to print, at random")
    parser.add_argument("--seed", type=int, default=1, help="seed of the messages shown")
    parser.add_argument("--save", type=Path, help="keep every reply in this file (JSON lines)")
    parser.add_argument("--against", type=Path, help="a file --save wrote before a change: what changed since")
    args = parser.parse_args(argv)

    from assistant.qa import QuestionAnswerer
    from assistant.retrieval.index import default_directories, open_index
    from assistant.serving.settings import PathSettings

    try:
        rows = list(half(unlabelled_rows(read_workbook(args.xlsx), labelled()), args.half))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"loading the index; {len(rows)} unlabelled messages to ask", file=sys.stderr)
    qa = QuestionAnswerer.from_index(
        open_index(default_directories([]), PathSettings().index_root, progress=lambda m: print(m, file=sys.stderr))
    )
    start = time.monotonic()

    def progress(done: int) -> None:
        if done % 2000 == 0 or done == len(rows):
            print(f"  {done}/{len(rows)} asked ({time.monotonic() - start:.0f} s)", file=sys.stderr)

    tally = Tally.of(rows, qa.ask, progress)
    print(tally.text(show=args.show, seed=args.seed))
    if args.against:
        try:
            print(tally.against(args.against, show=args.show))
        except (OSError, ValueError, KeyError) as exc:
            print(f"cannot compare with {args.against}: {exc} (write it with --save)", file=sys.stderr)
            return 2
    if args.save:
        tally.save(args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
