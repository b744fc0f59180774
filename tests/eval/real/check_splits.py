"""Check the real-message evaluation splits (real_dev.tsv, real_test.tsv) and print their counts.

Run from the project root:

    .venv/bin/python tests/eval/real/check_splits.py                   # integrity checks and count targets
    .venv/bin/python tests/eval/real/check_splits.py --integrity-only  # integrity checks only

Integrity checks (always):
- every row's query equals the text of column A of the xlsx sheet at that row (the message column of all three
  sheets: 用户问题 / 用户问题 / 留言), tabs and newlines replaced by a single space;
- every item is the `name` of a catalogue item or bundle (knowledge/catalogue, loaded with yaml), or `-`;
- every element is `-`, a key of knowledge.glossary.ELEMENTS, or a key used by the existing tests/eval/*.tsv files;
- an out-of-scope row (item `-`) has element `-` and no expect; each `|`-separated expect word occurs verbatim
  in the named item's YAML file;
- no (sheet, row) twice, no message in both files, no near-duplicate message across the files (character-bigram
  Jaccard similarity >= 0.8);
- every out-of-scope row has a kind (near / off) in oos_kind.tsv, and oos_kind.tsv lists no other row.

Count targets (unless --integrity-only): >= 300 in scope over >= 40 items, >= 120 long (> 40 characters) in
scope, >= 100 out of scope of which at least half near-domain, >= 80 fact questions (expect filled), and the two
files within 10 % of each other in size.

Exit status 1 with the problems listed when anything fails.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
import yaml  # noqa: E402

from knowledge.glossary import ELEMENTS  # noqa: E402

XLSX = ROOT.parent / "shared" / "data" / "msgabench-gov-qa.xlsx"
CATALOGUE = ROOT / "knowledge" / "catalogue"
SPLITS = {"dev": HERE / "real_dev.tsv", "test": HERE / "real_test.tsv"}
OOS_KIND = HERE / "oos_kind.tsv"
HEADER = ["sheet", "row", "query", "item", "element", "expect"]
SHEETS = ("自然语言理解", "政务问答", "情感分类")
LONG = 40  # a message longer than this many characters counts as long
TARGETS = {"in_scope": 300, "items": 40, "long_in_scope": 120, "out_of_scope": 100, "facts": 80}


def clean(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)


def bigrams(text: str) -> set[str]:
    text = re.sub(r"[\s*]+", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t"))


def catalogue_texts() -> dict[str, str]:
    """Item or bundle name -> the raw text of its YAML file."""
    texts = {}
    for path in sorted(CATALOGUE.glob("items/*/*.yaml")) + sorted(CATALOGUE.glob("bundles/*.yaml")):
        raw = path.read_text(encoding="utf-8")
        texts[yaml.safe_load(raw)["name"]] = raw
    return texts


def eval_element_keys() -> set[str]:
    keys = set()
    for path in (ROOT / "tests" / "eval").glob("*.tsv"):
        for row in read_tsv(path)[1:]:
            if len(row) >= 3:
                keys.add(row[2])
    return keys


def main(argv: list[str]) -> int:
    integrity_only = "--integrity-only" in argv
    problems: list[str] = []
    shortfalls: list[str] = []

    wb = openpyxl.load_workbook(XLSX, read_only=True)
    cells = {}
    for name in SHEETS:
        for (cell,) in wb[name].iter_rows(min_row=2, max_col=1):
            if cell.value is not None:
                cells[(name, cell.row)] = clean(str(cell.value))
    names = catalogue_texts()
    elements = set(ELEMENTS) | (eval_element_keys() - {"element"}) | {"-"}

    kinds: dict[tuple[str, int], str] = {}
    for i, row in enumerate(read_tsv(OOS_KIND)[1:], start=2):
        if len(row) != 3 or row[2] not in ("near", "off") or not row[1].isdigit():
            problems.append(f"oos_kind.tsv:{i}: expected sheet, row, near|off: {row}")
            continue
        kinds[(row[0], int(row[1]))] = row[2]

    data: dict[str, list[dict]] = {}
    for split, path in SPLITS.items():
        rows = read_tsv(path)
        if not rows or rows[0] != HEADER:
            problems.append(f"{path.name}: header must be {HEADER}")
        data[split] = []
        for i, row in enumerate(rows[1:], start=2):
            where = f"{path.name}:{i}"
            if len(row) != len(HEADER):
                problems.append(f"{where}: expected {len(HEADER)} columns, found {len(row)}")
                continue
            sheet, num, query, item, element, expect = row
            if sheet not in SHEETS or not num.isdigit():
                problems.append(f"{where}: unknown sheet or row {sheet!r} {num!r}")
                continue
            key = (sheet, int(num))
            if cells.get(key) != query:
                problems.append(f"{where}: query differs from {sheet} row {num} of the xlsx")
            if item != "-" and item not in names:
                problems.append(f"{where}: unknown item {item!r}")
            if element not in elements:
                problems.append(f"{where}: unknown element {element!r}")
            if item == "-":
                if element != "-" or expect:
                    problems.append(f"{where}: an out-of-scope row takes element '-' and no expect")
                if key not in kinds:
                    problems.append(f"{where}: out-of-scope row missing from oos_kind.tsv")
            else:
                if key in kinds:
                    problems.append(f"{where}: in-scope row listed in oos_kind.tsv")
                for word in filter(None, expect.split("|")) if expect else []:
                    if item in names and word not in names[item]:
                        problems.append(f"{where}: expect word {word!r} is not in the YAML of {item}")
            data[split].append(dict(key=key, query=query, item=item, element=element, expect=expect, where=where))

    # duplicates and leakage
    all_rows = data["dev"] + data["test"]
    for key, n in Counter(r["key"] for r in all_rows).items():
        if n > 1:
            problems.append(f"{key[0]} row {key[1]} appears {n} times")
    listed = {r["key"] for r in all_rows if r["item"] == "-"}
    for key in set(kinds) - listed:
        problems.append(f"oos_kind.tsv lists {key[0]} row {key[1]}, which is no out-of-scope row of the splits")
    dev_grams = [(r, bigrams(r["query"])) for r in data["dev"]]
    for t in data["test"]:
        tg = bigrams(t["query"])
        for d, dg in dev_grams:
            if d["query"] == t["query"]:
                problems.append(f"{t['where']} repeats {d['where']}")
            elif tg and dg and len(tg & dg) / len(tg | dg) >= 0.8:
                problems.append(f"{t['where']} nearly duplicates {d['where']}")

    # counts
    def counts(rows: list[dict]) -> dict:
        ins = [r for r in rows if r["item"] != "-"]
        oos = [r for r in rows if r["item"] == "-"]
        return {
            "rows": len(rows),
            "in_scope": len(ins),
            "items": len({r["item"] for r in ins}),
            "long_in_scope": sum(len(r["query"]) > LONG for r in ins),
            "short_in_scope": sum(len(r["query"]) <= LONG for r in ins),
            "out_of_scope": len(oos),
            "near_domain": sum(kinds.get(r["key"]) == "near" for r in oos),
            "off_topic": sum(kinds.get(r["key"]) == "off" for r in oos),
            "facts": sum(bool(r["expect"]) for r in ins),
            "by_sheet": dict(Counter(r["key"][0] for r in rows)),
        }

    total = counts(all_rows)
    for name, c in (("dev", counts(data["dev"])), ("test", counts(data["test"])), ("total", total)):
        print(f"{name:5} " + ", ".join(f"{k}={v}" for k, v in c.items()))
    print(
        "items:",
        ", ".join(f"{k} {v}" for k, v in Counter(r["item"] for r in all_rows if r["item"] != "-").most_common()),
    )

    for key, target in TARGETS.items():
        if total[key] < target:
            shortfalls.append(f"{key} = {total[key]} < target {target}")
    if total["near_domain"] * 2 < total["out_of_scope"]:
        shortfalls.append(
            f"near_domain = {total['near_domain']} is less than half of {total['out_of_scope']} out of scope"
        )
    n_dev, n_test = len(data["dev"]), len(data["test"])
    if abs(n_dev - n_test) > 0.1 * max(n_dev, n_test):
        shortfalls.append(f"split sizes {n_dev} / {n_test} differ by more than 10 %")

    for p in problems:
        print("PROBLEM:", p)
    if not integrity_only:
        for s in shortfalls:
            print("TARGET NOT MET:", s)
    failed = bool(problems) or (bool(shortfalls) and not integrity_only)
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
