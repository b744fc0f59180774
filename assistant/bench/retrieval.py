"""Benchmarks of question answering at three scales; prints figures, asserts nothing.

Usage::

    python -m assistant.bench.retrieval [--scenario bundled|gd|synthetic-30k ...] [--quick] [--questions N]

Scenarios (all of them when none is named):

- ``bundled``: the bundled catalogue alone;
- ``gd``: the bundled catalogue and the Guangdong import (``var/gd``, imported from
  ``../shared/data/gd-policy.jsonl`` when missing), 2.3k entries;
- ``synthetic-30k``: the bundled catalogue and a synthetic 30,000-item city catalogue generated from the
  Guangdong data (``var/synthetic-30k``, generated when missing; see :mod:`assistant.bench.synthetic`).

Per scenario it prints: entries; index build time and peak RSS (a fresh build in a child process, its peak RSS
from ``wait4``), with the build's steps; index load time in a fresh process, from ``import`` to the first
answer (median of three), its RSS then and once prepared for follow-ups as a serving process is
(:meth:`assistant.qa.QuestionAnswerer.prepare`); ``ask`` latency p50 / p95 / p99 in process, over the
development questions (short, typed questions; repeated to ``--questions``) and over ``--questions`` distinct
questions (the development questions, then real citizen questions of MSGABench when ``../shared/data`` has
them, some of them long messages), with the share of normalisation, over 300 real hotline messages of about 300
characters, and over the development questions each asked as a follow-up in another entry's conversation; for
``bundled``, the throughput of ``assistant ask --json --batch``; and the machine's load average, since the
figures mean little on a busy machine.

Indexes are built under ``var/bench/index``. ``--quick`` reuses an up-to-date index there instead of
rebuilding it (the build figures then come from its manifest, without peak RSS) and times 300 questions.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from assistant.workbook import XLSX, workbook_rows

SCENARIOS = ("bundled", "gd", "synthetic-30k")
SHARED_DATA = Path("../shared/data")
GD_SOURCE = SHARED_DATA / "gd-policy.jsonl"

_BUILD = """
import json, sys, time, logging, warnings
logging.disable(logging.WARNING); warnings.filterwarnings("ignore")
from pathlib import Path
start = time.perf_counter()
from assistant.retrieval.index import Index, IndexSettings, index_key
from knowledge.loader import load_directories
dirs = [Path(p) for p in json.loads(sys.argv[2])]
key = index_key(dirs, IndexSettings())
catalogue = [load_directories(dirs)]
loaded = time.perf_counter()
# handed over without a name left here, so the build frees it once it has read it (as open_index does)
manifest = Index.build(catalogue.pop(), Path(sys.argv[1]) / key, IndexSettings(), key=key,
                       progress=lambda m: print(m, file=sys.stderr, flush=True))
print(json.dumps({"build_s": time.perf_counter() - start, "catalogue_s": loaded - start,
                  "steps": manifest["build_steps"], "key": key}))
"""

_LOAD = """
import time
start = time.perf_counter()
import json, sys
from pathlib import Path
from assistant.retrieval.index import Index
from assistant.qa import QuestionAnswerer
import os
def rss_mb():  # resident now (not the peak: loading the index passes through more)
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
index = Index.load(Path(sys.argv[1]))
qa = QuestionAnswerer.from_index(index)
answer = qa.ask(sys.argv[2])
load_s = time.perf_counter() - start
rss = rss_mb()
qa.prepare()
heavy = [m for m in ("torch", "sentence_transformers") if m in sys.modules]
print(json.dumps({"load_s": load_s, "item": answer.item, "heavy": heavy, "rss_mb": rss,
                  "prepared_rss_mb": rss_mb()}))
"""


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _timed(function, inputs: list[str]) -> list[float]:
    """Milliseconds of each call."""
    out = []
    for value in inputs:
        start = time.perf_counter()
        function(value)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _summary(ms: list[float]) -> str:
    return (
        f"p50 {statistics.median(ms):.2f} ms, p95 {_percentile(ms, 95):.2f} ms, p99 {_percentile(ms, 99):.2f} ms "
        f"over {len(ms)}"
    )


def _load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + f" (1/5/15 min, {os.cpu_count()} CPUs)"
    except OSError:
        return "unknown"


def dev_questions(dev: Path) -> list[str]:
    """The questions of the development split (first column of the TSV, after its header)."""
    return [line.split("\t")[0] for line in dev.read_text(encoding="utf-8").splitlines()[1:]]


@functools.lru_cache(maxsize=1)
def _workbook() -> tuple[tuple[str, str], ...]:
    """(sheet, message) of MSGABench's workbook, read once (for short questions and for long messages); empty
    without ``../shared/data``."""
    if not XLSX.is_file():
        return ()
    return tuple((sheet, text) for sheet, _, text in workbook_rows(XLSX))


def questions(count: int, dev: Path) -> list[str]:
    """Up to ``count`` distinct questions: the development split first, then real citizen questions."""
    out = dev_questions(dev)
    if len(out) < count:
        out += [text for sheet, text in _workbook() if sheet in ("自然语言理解", "政务问答")]
    out = list(dict.fromkeys(q.strip() for q in out if q and q.strip()))
    return (out * (count // max(1, len(out)) + 1))[:count] if len(out) < count else out[:count]


def long_messages(count: int = 300, low: int = 250, high: int = 330) -> list[str]:
    """Up to ``count`` real citizen messages of ``low``-``high`` characters (about 300: a salutation, a story, the
    asks), from the hotline sheet of MSGABench; empty without ``../shared/data``."""
    out = [t for sheet, text in _workbook() if sheet == "情感分类" and low <= len(t := text.strip()) <= high]
    return out[:count]


def catalogue_dirs(scenario: str, progress=print) -> list[Path]:
    """The catalogue directories of a scenario, importing or generating the extra catalogue when missing."""
    from assistant.retrieval.index import default_directories

    if scenario == "bundled":
        return default_directories()
    if scenario == "gd":
        target = Path("var/gd")
        if not (target / "catalogue.yaml").is_file():
            from knowledge.importers import import_gd_jsonl

            progress(import_gd_jsonl(GD_SOURCE, target))
        return default_directories([target])
    if scenario == "synthetic-30k":
        from assistant.bench.synthetic import generate

        target = Path("var/synthetic-30k")
        if not (target / "catalogue.yaml").is_file():
            progress("generating the synthetic catalogue (about two minutes)")
            progress(generate(GD_SOURCE, target, size=30_000))
        return default_directories([target])
    raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")


def build(dirs: list[Path], root: Path) -> dict:
    """Build the index in a child process; wall time, steps and the child's peak RSS."""
    child = subprocess.Popen(
        [sys.executable, "-c", _BUILD, str(root), json.dumps([str(d) for d in dirs])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"index build failed (exit {child.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def load_time(directory: Path, question: str, runs: int = 3) -> tuple[float, dict]:
    """Median seconds from ``import`` to the first answer in a fresh process, and the last run's report."""
    times, report = [], {}
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", _LOAD, str(directory), question], capture_output=True, text=True, check=True
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        times.append(report["load_s"])
    return statistics.median(times), report


def run_scenario(scenario: str, args: argparse.Namespace, asked: list[str]) -> None:
    """Benchmark one scenario and print its figures."""
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from assistant.retrieval.index import Index, IndexSettings, index_key

    print(f"== {scenario}", flush=True)
    print(f"load average before           {_load_average()}")
    dirs = catalogue_dirs(scenario, progress=lambda m: print(f"  {m}", flush=True))
    root = Path(args.root)
    directory = root / index_key(dirs, IndexSettings())
    if args.quick and (directory / "manifest.json").is_file():
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        built = {"build_s": manifest["build_seconds"], "steps": manifest.get("build_steps", {}), "reused": True}
    else:
        built = build(dirs, root)
    index = Index.load(directory)
    from assistant.qa import QuestionAnswerer

    qa = QuestionAnswerer.from_index(index)
    start = time.perf_counter()
    qa.prepare()  # as a serving process does when its knowledge loads
    prepare_s = time.perf_counter() - start
    load_s, report = load_time(directory, asked[0])
    dev = dev_questions(Path(args.dev))
    dev_ms = _timed(qa.ask, dev * max(1, -(-len(asked) // len(dev))))
    latencies = _timed(qa.ask, asked)
    messages = long_messages()
    long_ms = _timed(qa.ask, messages) if messages else []
    normalising = _timed(index.normaliser, asked)
    # a returning person's follow-ups: each development question asked in the conversation of another entry
    names = sorted(set(qa.ranker.names))
    follow_ups = [(question, names[(i * 7 + 1) % len(names)]) for i, question in enumerate(dev)]
    follow_ms = _timed(lambda pair: qa.ask(pair[0], context_item=pair[1]), follow_ups)

    steps = ", ".join(f"{k} {v:.1f}" for k, v in built.get("steps", {}).items())
    print(f"entries                       {index.manifest['entries']}")
    if built.get("reused"):
        print(f"index build                   {built['build_s']:.1f} s (from the reused index's manifest; --quick)")
    else:
        print(
            f"index build                   {built['build_s']:.1f} s (catalogue load {built['catalogue_s']:.1f} s), "
            f"peak RSS {built['peak_rss_mb']:.0f} MB"
        )
    print(f"  build steps (s)             {steps}")
    heavy = f"; imported {', '.join(report['heavy'])}" if report["heavy"] else "; torch not imported"
    print(f"index load                    {load_s:.2f} s from import to first answer (fresh process{heavy})")
    print(f"  RSS                         {report['rss_mb']:.0f} MB after the first answer")
    print(
        f"  then prepared for follow-ups {prepare_s:.2f} s, RSS {report['prepared_rss_mb']:.0f} MB (every guide "
        "cut, jieba's parts of speech: what a serving process does at load)"
    )
    lengths = [len(q) for q in asked]
    print(f"ask in process, dev questions {_summary(dev_ms)} ({len(dev)} questions, repeated)")
    print(
        f"ask in process, all questions {_summary(latencies)} (median {statistics.median(lengths):.0f} characters, "
        f"p95 {_percentile(lengths, 95):.0f})"
    )
    print(f"  of which normalisation      {_summary(normalising)} (nlu/normalize.py, pinyin typo repair)")
    print(
        f"ask in a conversation         {_summary(follow_ms)} (dev questions, each in another entry's context; "
        f"slowest {max(follow_ms):.0f} ms)"
    )
    if long_ms:
        print(
            f"ask, ~300-character messages {_summary(long_ms)} (real hotline messages of "
            f"{min(map(len, messages))}-{max(map(len, messages))} characters)"
        )
    if scenario == "bundled" and not args.quick:
        batch_file = root.parent / "questions.txt"
        batch_file.write_text("\n".join(asked) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "assistant", "ask", "--json", "--batch", str(batch_file)]
        env = {**os.environ, "ASSISTANT_DATA_DIR": str(root.parent)}  # the CLI looks in DATA_DIR/index
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        cli_s = time.perf_counter() - start
        print(
            f"ask --batch (CLI)             {cli_s:.1f} s for {len(asked)} questions including start-up: "
            f"{len(asked) / cli_s:.0f} questions/s"
        )
    print(f"load average after            {_load_average()}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the chosen scenarios and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default: all")
    parser.add_argument("--quick", action="store_true", help="reuse built indexes, 300 questions, no CLI batch")
    parser.add_argument("--questions", type=int, default=None, help="questions timed in process (default 1000)")
    parser.add_argument("--dev", default="tests/eval/dev.tsv", help="TSV whose first column is the question")
    parser.add_argument("--root", default="var/bench/index", help="where the benchmark builds its indexes")
    args = parser.parse_args(argv)
    count = args.questions or (300 if args.quick else 1000)
    asked = questions(count, Path(args.dev))
    for scenario in args.scenario or SCENARIOS:
        run_scenario(scenario, args, asked)


if __name__ == "__main__":
    main()
