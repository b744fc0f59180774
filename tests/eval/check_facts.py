"""Check the fact-question evaluation splits (facts_dev.tsv, facts_dev2.tsv, facts_dev3.tsv, facts_dev4.tsv,
facts_dev5.tsv, facts_dev6.tsv, facts_dev7.tsv, facts_dev8.tsv, multi_dev.tsv,
facts_test.tsv) against the bundled catalogue and print their counts.

Each row asks one fact a guide states (a fee, a deadline, an age, a validity, a benefit); ``expect`` holds the words
a right reply contains, each an exact substring of the item's YAML, so a guide edited under them is caught here.

Usage:
    .venv/bin/python tests/eval/check_facts.py
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[1] / "knowledge" / "catalogue"
SPLITS = {
    "dev": HERE / "facts_dev.tsv",
    "dev2": HERE / "facts_dev2.tsv",
    "dev3": HERE / "facts_dev3.tsv",
    "dev4": HERE / "facts_dev4.tsv",
    "dev5": HERE / "facts_dev5.tsv",
    "dev6": HERE / "facts_dev6.tsv",
    "dev7": HERE / "facts_dev7.tsv",
    "dev8": HERE / "facts_dev8.tsv",
    "multi": HERE / "multi_dev.tsv",
    "test": HERE / "facts_test.tsv",
}
HEADER = ["query", "item", "element", "expect"]
ELEMENTS = {
    "conditions",
    "time_limit",
    "fee",
    "result",
    "visits",
    "materials",
    "location",
    "online",
    "basis",
    "process",
}
LONG = 40  # characters, as assistant.evaluation.evaluate counts long messages
NEAR = 0.8  # character-bigram Jaccard from which two questions count as the same


def guides() -> dict[str, str]:
    """Each item's and bundle's name -> the text of its YAML file."""
    out = {}
    for path in sorted(CATALOGUE.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if isinstance(data, dict) and data.get("name") and data.get("id"):
            out[str(data["name"])] = text
    return out


def _grams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def problems(path: Path, texts: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """The problems of one split, and its rows."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    found = [] if rows and rows[0] == HEADER else [f"{path.name}:1: the header must be {HEADER}"]
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], 2):
        where = f"{path.name}:{n}"
        if len(row) != len(HEADER) or not all(cell.strip() for cell in row):
            found.append(f"{where}: four non-empty tab-separated columns expected")
            continue
        query, item, element, expect = row
        if query in seen:
            found.append(f"{where}: the same question as line {seen[query]}")
        seen.setdefault(query, n)
        if element not in ELEMENTS:
            found.append(f"{where}: element {element!r} is none of {sorted(ELEMENTS)}")
        if item not in texts:
            found.append(f"{where}: {item!r} is no item or bundle of the catalogue")
            continue
        for word in expect.split("|"):
            if word not in texts[item]:
                found.append(f"{where}: {word!r} is not in the guide of {item}")
    return found, rows[1:]


def main() -> int:
    texts = guides()
    found: list[str] = []
    queries: dict[str, list[str]] = {}
    for name, path in SPLITS.items():
        split, rows = problems(path, texts)
        found += split
        queries[name] = [row[0] for row in rows if row]
        items = Counter(row[1] for row in rows if len(row) > 1)
        long = sum(len(row[0]) > LONG for row in rows if row)
        print(f"{path.name}: {len(rows)} questions over {len(items)} items and bundles, {long} long")
    grams = [_grams(q) for q in queries["test"]]
    for query in (q for name, split in queries.items() if name != "test" for q in split):
        mine = _grams(query)
        for other, theirs in zip(queries["test"], grams, strict=True):
            if len(mine & theirs) / max(1, len(mine | theirs)) >= NEAR:
                found.append(f"in a development split and the test split: {query} / {other}")
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
