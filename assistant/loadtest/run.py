"""``python -m assistant.loadtest``: N simulated people for a set time; prints figures, asserts nothing.

Usage::

    python -m assistant.loadtest [--url URL] [--users 50] [--duration 60] [--ramp S] [--wechat-users N]
                                 [--seed 1] [--dialogue-workers N] [--database-url URL] [--redis-url URL]
                                 [--with-services] [--json FILE]

Without ``--url`` it starts ``assistant serve`` on free ports (data in ``$ASSISTANT_DATA_DIR``, default ``var``:
its index and trained dialogue model are reused) and stops it at the end; ``--dialogue-workers``,
``--database-url`` / ``--redis-url`` (``DATABASE_URL`` / ``REDIS_URL`` of serve) and ``--with-services``
(throwaway PostgreSQL and Redis servers started here, ``make services``) apply to that server only.

Each web user keeps one sender id for the whole run and, in a loop, sends 2-4 real messages (the message column
of ``../shared/data/msgabench-gov-qa.xlsx``), then a scripted conversation of ``python -m assistant.bench.dialogue``
(checklists answered by number, by text and by button, options at random), then more real messages, then another
script; as fast as answers come (no think time). Each 告知单 a checklist ends with is fetched and compared with
that user's own answers (item, options offered, options chosen): a mismatch is a "mixed" conversation. WeChat
followers (``--wechat-users``) post signed XML to ``/wechat`` (token ``$WECHAT_TOKEN``, or the development default)
the same way, their replies timed against WeChat's deadline.

A turn answered from the guides while the dialogue engine is down is "degraded", not an error; a non-200, a
transport failure, or the apology given when the dialogue gave nothing is an error. Progress is printed every 10 s,
the figures at the end (``--json`` writes them too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.loadtest.figures import Record, Summary, summarise, table, window
from assistant.loadtest.messages import RealMessages
from assistant.loadtest.people import Load, client_for
from assistant.loadtest.server import (
    Serve,
    cpu_line,
    cpu_seconds,
    find_serve_pid,
    rss_line,
    tree_cpu,
    tree_rss,
)
from assistant.workbook import XLSX

PROGRESS_EVERY_S = 10.0
TARGETS = (
    "targets (issue 17): ≥ 50 turns/s at 50 users with p95 ≤ 1 s and 0 errors (2 dialogue workers); "
    "WeChat replies < 4 s at 100 users"
)


def default_wechat_token() -> str:
    """``WECHAT_TOKEN``, or the development default of the application's settings."""
    from api.settings import WeChatSettings

    return os.environ.get("WECHAT_TOKEN") or WeChatSettings.model_fields["token"].default


def common_options(parser: argparse.ArgumentParser) -> None:
    """The options the load test and the fault script share."""
    parser.add_argument("--users", type=int, default=50, help="simulated web chat users (default %(default)s)")
    parser.add_argument("--wechat-users", type=int, default=0, help="simulated WeChat followers (default 0)")
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which the people start (default 0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    parser.add_argument("--wechat-token", default=None, help="the WeChat token (default: $WECHAT_TOKEN or dev's)")
    parser.add_argument("--xlsx", type=Path, default=XLSX, help="the real messages (default ../shared/data/…)")
    parser.add_argument("--dialogue-workers", type=int, default=None, help="serve --dialogue-workers N")
    parser.add_argument("--database-url", default=None, help="DATABASE_URL for the serve started here")
    parser.add_argument("--redis-url", default=None, help="REDIS_URL for the serve started here")
    parser.add_argument(
        "--with-services", action="store_true", help="start throwaway PostgreSQL and Redis for the serve started here"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")


@contextlib.contextmanager
def services(wanted: bool) -> Iterator[tuple[object | None, object | None]]:
    """Throwaway PostgreSQL and Redis servers when ``wanted`` (else None, None)."""
    if not wanted:
        yield None, None
        return
    from assistant.serving.throwaway import available, throwaway_postgres, throwaway_redis

    missing = available()
    if missing:
        raise SystemExit(f"--with-services: {missing}")
    with throwaway_postgres() as pg, throwaway_redis() as redis:
        print(f"services: PostgreSQL {pg.url.split('@')[-1]}, Redis {redis.url}")
        yield pg, redis


def serve_env(args: argparse.Namespace, pg: object | None, redis: object | None) -> dict[str, str]:
    env = {}
    if database := args.database_url or (pg.url if pg is not None else None):  # type: ignore[attr-defined]
        env["DATABASE_URL"] = database
    if cache := args.redis_url or (redis.url if redis is not None else None):  # type: ignore[attr-defined]
        env["REDIS_URL"] = cache
    return env


PROBES = 4  # the run's own connections (probes); each person has its own client


def progress_line(record: Record, start: float, end: float, pid: int | None) -> str:
    last = window(record, start, end)
    total = summarise(record.turns, record.notices, end)
    whole = tree_rss(pid)[1] if pid else 0
    memory = f", RSS {whole / 2**20:.0f} MiB" if whole else ""
    wechat = (
        f", WeChat p95 {last.wechat_p95_ms:.0f} ms"
        if last.wechat_replies and not math.isnan(last.wechat_p95_ms)
        else ""
    )
    p95 = "-" if math.isnan(last.p95_ms) else f"{last.p95_ms:.0f}"
    return (
        f"[{end:5.0f} s] {total.turns} turns, last {end - start:.0f} s: {last.turns_per_s:.1f} turns/s, "
        f"p95 {p95} ms; errors {total.error_count}, degraded {total.degraded}, notices {total.notices_checked}, "
        f"mixed {total.mixed}{wechat}{memory}"
    )


async def report_progress(load: Load, pid: Callable[[], int | None], every: float = PROGRESS_EVERY_S) -> None:
    """A line every ``every`` seconds until the load stops."""
    previous = 0.0
    while not load.stopping.is_set():
        try:
            await asyncio.wait_for(load.stopping.wait(), every)
        except TimeoutError:
            now = load.now()
            print(progress_line(load.record, previous, now, pid()), flush=True)
            previous = now


def targets_line(summary: Summary, users: int, wechat_users: int, workers: int | None) -> str:
    """Whether this run met the issue's targets (only meaningful at their sizes)."""
    web = (
        f"web: {summary.turns_per_s:.1f} turns/s ({'≥' if summary.turns_per_s >= 50 else '<'} 50), "
        f"p95 {summary.p95_ms:.0f} ms ({'≤' if summary.p95_ms <= 1000 else '>'} 1000), "
        f"{summary.error_count} errors at {users} users, {workers or 1} dialogue worker(s)"
    )
    if wechat_users:
        web += (
            f"; WeChat: {summary.wechat_over_4s} of {summary.wechat_replies} replies ≥ 4 s at {wechat_users} followers"
        )
    return web


async def run_load(
    url: str, args: argparse.Namespace, messages: RealMessages, pid: Callable[[], int | None]
) -> tuple[Summary, Record]:
    """Run the people against ``url`` for ``args.duration`` seconds; the figures and what was recorded."""
    async with client_for(PROBES) as client:
        load = Load(url, client, messages, wechat_token=args.wechat_token or default_wechat_token(), seed=args.seed)
        load.start(args.users, args.wechat_users, args.ramp)
        reporter = asyncio.create_task(report_progress(load, pid))
        await asyncio.sleep(args.duration)
        elapsed = load.now()
        await load.stop()
        await reporter
    # the turns started within the duration, over the duration (the last turns in flight finish after it)
    return window(load.record, 0.0, elapsed), load.record


def print_figures(summary: Summary, record: Record, rss: str, cpu: str = "") -> None:
    print("figures:")
    print(table(summary, rss, cpu))
    for line in record.samples[:10]:
        print(f"    {line}")


def write_json(path: Path, figures: dict) -> None:
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.loadtest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running application (default: start `assistant serve` here)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    common_options(parser)
    args = parser.parse_args(argv)
    if args.users < 0 or args.wechat_users < 0 or args.users + args.wechat_users == 0 or args.duration <= 0:
        parser.error("--users/--wechat-users must give at least one person, --duration must be positive")
    if args.url and (args.dialogue_workers or args.database_url or args.redis_url or args.with_services):
        parser.error(
            "--dialogue-workers, --database-url, --redis-url and --with-services apply to a serve started here"
        )

    from assistant.bench.dialogue import load_line
    from assistant.serving.settings import data_dir

    print(f"load test, {time.strftime('%Y-%m-%d %H:%M:%S')}, {load_line()}")
    started = time.perf_counter()
    messages = RealMessages.load(args.xlsx)
    sizes = ", ".join(f"{sheet} {len(texts)}" for sheet, texts in messages.sheets.items())
    print(f"real messages: {len(messages)} ({sizes}), read in {time.perf_counter() - started:.1f} s")
    with services(args.with_services) as (pg, redis):
        server: Serve | None = None
        if args.url:
            url = args.url.rstrip("/")
            serve_pid = find_serve_pid(url)
        else:
            server = Serve(data_dir().resolve(), args.dialogue_workers, serve_env(args, pg, redis))
            print(f"starting `assistant serve` on {server.url} (data {server.data}) …", flush=True)
            seconds = server.start()
            url, serve_pid = server.url, server.pid
            print(f"serve healthy after {seconds:.1f} s (log {server.log})")
        try:
            print(
                f"{args.users} web users, {args.wechat_users} WeChat followers, {args.duration:.0f} s"
                f"{f', ramp {args.ramp:.0f} s' if args.ramp else ''}, seed {args.seed}, against {url}",
                flush=True,
            )
            cpu_before = tree_cpu(serve_pid) if serve_pid else (0.0, 0.0)
            generator_before = cpu_seconds(os.getpid())
            summary, record = asyncio.run(run_load(url, args, messages, lambda: serve_pid))
            cpu = ""
            if serve_pid:
                answered = summary.turns + summary.wechat_replies
                generator = cpu_seconds(os.getpid()) - generator_before
                cpu = cpu_line(cpu_before, tree_cpu(serve_pid), answered, summary.seconds, generator)
            rss = rss_line(serve_pid)
            print_figures(summary, record, rss, cpu)
            print(TARGETS)
            print("this run: " + targets_line(summary, args.users, args.wechat_users, args.dialogue_workers))
            print(f"after the run: {load_line()}")
            if args.json:
                figures = {
                    **summary.as_dict(),
                    "users": args.users,
                    "wechat_users": args.wechat_users,
                    "dialogue_workers": args.dialogue_workers,
                    "rss_bytes": tree_rss(serve_pid)[1] if serve_pid else None,
                    "url": url,
                }
                write_json(args.json, figures)
        finally:
            if server is not None:
                print(f"stopped the server in {server.stop():.1f} s", file=sys.stderr)
