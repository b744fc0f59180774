"""Benchmarks of question answering; prints figures, asserts nothing.

Usage::

    python -m assistant.bench [--catalogue DIR ...] [--no-bundled] [--queries tests/eval/dev.tsv]

Prints: index build time and peak memory (a fresh build in a child process), index load time, ``ask``
latency p50 / p95 in process, and the per-question time through ``assistant ask --batch``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_BUILD = """
import json, resource, sys, time, logging, warnings
logging.disable(logging.WARNING); warnings.filterwarnings("ignore")
from pathlib import Path
from assistant.index import default_directories, open_index
dirs = default_directories([Path(p) for p in json.loads(sys.argv[2])], bundled=sys.argv[3] == "1")
start = time.perf_counter()
open_index(dirs, Path(sys.argv[1]), rebuild=True)
print(json.dumps({"build_s": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalogue", action="append", default=[], help="extra catalogue directory")
    parser.add_argument("--no-bundled", action="store_true")
    parser.add_argument("--queries", default="tests/eval/dev.tsv", help="TSV whose first column is the question")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions for latency")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-index-"))
    result = subprocess.run(
        [sys.executable, "-c", _BUILD, str(root), json.dumps(args.catalogue), "0" if args.no_bundled else "1"],
        check=True,
        capture_output=True,
        text=True,
    )
    build = json.loads(result.stdout.strip().splitlines()[-1])

    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from assistant.index import Index, IndexSettings, default_directories, index_key
    from assistant.qa import QuestionAnswerer

    dirs = default_directories([Path(p) for p in args.catalogue], bundled=not args.no_bundled)
    directory = root / index_key(dirs, IndexSettings())
    start = time.perf_counter()
    index = Index.load(directory)
    load_s = time.perf_counter() - start
    qa = QuestionAnswerer(index)
    queries = [line.split("\t")[0] for line in Path(args.queries).read_text(encoding="utf-8").splitlines()[1:]]
    qa.ask(queries[0])  # first call pays lazy set-up (IDF table, jieba)
    latencies = []
    for _ in range(args.repeat):
        for query in queries:
            start = time.perf_counter()
            qa.ask(query)
            latencies.append((time.perf_counter() - start) * 1000)

    batch_file = root / "queries.txt"
    batch_file.write_text("\n".join(queries) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "assistant", "ask", "--json", "--batch", str(batch_file), "--no-bundled"]
    if not args.no_bundled:
        command.remove("--no-bundled")
    for extra in args.catalogue:
        command += ["--catalogue", extra]
    data_dir = root.parent / f"{root.name}-cli"  # the CLI finds the index just built under DATA_DIR/index
    data_dir.mkdir(exist_ok=True)
    (data_dir / "index").symlink_to(root)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    cli_s = time.perf_counter() - start

    print(f"entries                     {index.manifest['entries']}")
    print(f"index build                 {build['build_s']:.1f} s, peak RSS {build['peak_rss_mb']:.0f} MB")
    print(
        f"index load                  {load_s:.2f} s (first load in a process: includes importing torch, spaCy, faiss)"
    )
    print(
        f"ask in process              p50 {statistics.median(latencies):.2f} ms, p95 {_percentile(latencies, 95):.2f} ms"
        f" over {len(latencies)} questions"
    )
    print(
        f"ask --batch (CLI, cold)     {cli_s:.1f} s for {len(queries)} questions "
        f"({cli_s / len(queries) * 1000:.1f} ms per question including start-up)"
    )


if __name__ == "__main__":
    main()
