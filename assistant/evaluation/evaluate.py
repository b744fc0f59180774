"""Evaluation of question answering on a TSV file: ``query``, expected item (``-`` out of scope), expected
element (``-`` general / none), optionally the words a right reply contains (``expect``); figures overall and
apart for long messages and short questions.

Each figure is printed with its counts and a 95 % Wilson interval: the real splits hold about fifty in-scope
messages, so one message moves item accuracy by two points and a difference of a few points between two runs, or
between a development and a test split, may be chance (``real_dev.tsv``'s 40 of 49 is 68.6 to 90.0 %).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from assistant.qa import Answer, QuestionAnswerer

LONG = 40  # characters: a longer message is a long (hotline, message-board) one, reported apart


@dataclass
class Case:
    """One evaluation question and its labels."""

    query: str
    item: str | None
    element: str | None
    expect: tuple[str, ...] = ()  # words a right reply contains (a fact question: 120元, 六十日)


@dataclass
class Report:
    """Figures of one evaluation run, with every failure."""

    cases: int = 0
    in_scope: int = 0
    item_at_1: int = 0
    item_at_3: int = 0
    element_ok: int = 0
    oos_true: int = 0  # out of scope, and refused
    oos_refused: int = 0  # refused (rightly or not)
    oos_expected: int = 0
    facts: int = 0  # questions with expected words
    facts_ok: int = 0  # … whose reply contains every one of them
    further: int = 0  # further asks of in-scope messages whose first ask got the right entry
    further_answered: int = 0  # … answered from a guide (not refused)
    failures: list[str] = field(default_factory=list)
    parts: dict[str, Report] = field(default_factory=dict)  # the same figures for long and short messages

    def ratio(self, part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    def counts(self) -> dict[str, tuple[int, int]]:
        """The headline figures as (part, whole) counts."""
        counts = {
            "item_accuracy@1": (self.item_at_1, self.in_scope),
            "item_accuracy@3": (self.item_at_3, self.in_scope),
            "element_accuracy": (self.element_ok, self.in_scope),
            "out_of_scope_precision": (self.oos_true, self.oos_refused),
            "out_of_scope_recall": (self.oos_true, self.oos_expected),
            "in_scope_wrongly_refused": (self.oos_refused - self.oos_true, self.in_scope),
        }
        if self.facts:
            counts["reply_contains_expected"] = (self.facts_ok, self.facts)
        if self.further:
            counts["further_asks_answered"] = (self.further_answered, self.further)
        return counts

    def figures(self) -> dict[str, float]:
        """The headline figures as fractions."""
        return {name: self.ratio(part, whole) for name, (part, whole) in self.counts().items()}

    def text(self) -> str:
        """Printable summary (each figure with its counts and 95 % interval) followed by the failures."""
        lines = [f"{self.cases} questions ({self.in_scope} in scope, {self.oos_expected} out of scope)"]
        for name, (part, whole) in self.counts().items():
            low, high = interval(part, whole)
            lines.append(
                f"{name:26s} {self.ratio(part, whole):6.1%}  {part}/{whole}, 95 % interval {low:.1%}–{high:.1%}"
            )
        for name, report in self.parts.items():
            counts = report.counts()
            shown = ["item_accuracy@1", "element_accuracy", "in_scope_wrongly_refused", "out_of_scope_recall"]
            shown += ["reply_contains_expected"] if report.facts else []
            lines.append(
                f"{name} ({report.in_scope} in scope, {report.oos_expected} out): "
                + ", ".join(
                    f"{key} {report.ratio(*counts[key]):.1%} ({counts[key][0]}/{counts[key][1]})"
                    if counts[key][1]
                    else f"{key} –"
                    for key in shown
                )
            )
        if self.failures:
            lines.append(f"failures ({len(self.failures)}):")
            lines += [f"  {f}" for f in self.failures]
        return "\n".join(lines)


def interval(part: int, whole: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``part`` of ``whole`` ((0, 1) when ``whole`` is 0): where
    the figure of a run lies, given the split's size alone."""
    if not whole:
        return 0.0, 1.0
    from scipy.stats import binomtest  # loaded only to print figures

    found = binomtest(part, whole).proportion_ci(confidence_level=0.95, method="wilson")
    return float(found.low), float(found.high)


def read_cases(path: Path) -> list[Case]:
    """Read an evaluation TSV: a header naming at least the columns ``query``, ``item`` and ``element`` (in any
    order), and optionally ``expect``: the words a right reply contains, separated by ``|`` (others, such as the
    real splits' ``sheet`` and ``row``, are left unread)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = [c.strip() for c in rows[0]] if rows else []
    if not {"query", "item", "element"} <= set(header):
        raise ValueError(f"{path}: the first line must be a header naming the columns query, item and element")
    columns = [header.index(name) for name in ("query", "item", "element")]
    expect = header.index("expect") if "expect" in header else None
    cases = []
    for n, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            raise ValueError(f"{path}:{n}: expected {len(header)} tab-separated columns, found {len(row)}")
        query, item, element = (row[i].strip() for i in columns)
        words = tuple(w.strip() for w in row[expect].split("|") if w.strip()) if expect is not None else ()
        cases.append(Case(query, None if item == "-" else item, None if element == "-" else element, words))
    return cases


def score(cases: list[Case], answers: list[Answer], *, by_length: bool = True) -> Report:
    """Compare answers with the labels; with ``by_length``, also apart for long messages and short questions
    (when the file has both)."""
    report = Report(cases=len(cases))
    if by_length:
        long = [len(case.query) > LONG for case in cases]
        if any(long) and not all(long):
            for name, wanted in ((f"long messages (over {LONG} characters)", True), ("short questions", False)):
                chosen = [(c, a) for c, a, is_long in zip(cases, answers, long, strict=True) if is_long == wanted]
                report.parts[name] = score([c for c, _ in chosen], [a for _, a in chosen], by_length=False)
    for case, answer in zip(cases, answers, strict=True):
        if case.expect:
            report.facts += 1
            report.facts_ok += all(word in answer.answer for word in case.expect)
        refused = answer.kind in ("out_of_scope", "empty")
        report.oos_refused += refused
        names = [c.name for c in answer.candidates]
        if case.item is None:
            report.oos_expected += 1
            report.oos_true += refused
            if not refused:
                report.failures.append(f"{case.query} | expected out of scope, got {answer.item or answer.kind}")
            continue
        report.in_scope += 1
        ok = answer.item == case.item
        report.item_at_1 += ok
        if ok:  # a message's further asks (each distinct answer once): answered, or refused
            report.further += len(answer.parts)
            report.further_answered += sum(part.kind == "answer" for part in answer.parts)
        report.item_at_3 += case.item in names[:3] and not refused
        element_ok = answer.element == case.element
        report.element_ok += element_ok
        if not ok or not element_ok:
            got = answer.item or answer.kind
            report.failures.append(
                f"{case.query} | expected {case.item} / {case.element or '-'}, got {got} / {answer.element or '-'}"
                f" (confidence {answer.confidence:.2f}; candidates {', '.join(names)})"
            )
    return report


def evaluate(qa: QuestionAnswerer, path: Path) -> Report:
    """Ask every question of an evaluation file and score the answers."""
    cases = read_cases(path)
    return score(cases, [qa.ask(c.query) for c in cases])
