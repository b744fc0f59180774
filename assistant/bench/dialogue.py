"""Benchmarks of the dialogue over HTTP; prints figures, asserts nothing.

Usage::

    python -m assistant.bench.dialogue [--url URL] [--rasa-url URL] [--turns N] [--senders 4]

Without ``--url`` it starts ``assistant serve`` on free ports (data in ``$ASSISTANT_DATA_DIR``, default ``var``)
and reports the cold start: seconds from launch to ``/healthz`` 200, and whether the index and the Rasa model
were reused or built on the way (nothing is ever deleted to force a build). It then runs scripted conversations
(several items and a bundle; questions, follow-ups, checklist requests, answers by number, by text and by button
payload, "上一步", unrelated questions) for at least ``--turns`` turns each way:

- (a) straight to the Rasa server's REST webhook (``/webhooks/rest/webhook`` on the Rasa port, actions still
  served by the application's ``/webhook``);
- (b) through the application's ``POST /api/v1/chat``;
- (c) the same conversations one after another on one sender id, as a returning person keeps it (its first and
  last 20 turns compared);

printing p50 / p95 / max per turn, then the turns per second ``--senders`` concurrent senders get through
``/api/v1/chat``. A server it started is stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from assistant.replies import Replies
from assistant.serving.settings import data_dir

REPO = Path(__file__).resolve().parents[2]
# the chat's apology when the dialogue gave nothing (its actions failed): a turn answered so is an error
UNANSWERED = Replies.load().texts["chat_no_answer"].split("{")[0]
TURN_TIMEOUT_S = 60.0
START_TIMEOUT_S = 1800.0  # a first start builds the index and trains the Rasa model

# One conversation is a list of steps: a message to send as typed, or a directive acting on the last reply.
ANSWER_BY_NUMBER = "<answer every question by number>"
ANSWER_BY_TEXT = "<answer every question by the option's text>"
CLICK_FIRST = "<click the first button>"
MAX_ANSWERS = 20  # a checklist that keeps asking is cut here (the figures are per turn, not per checklist)

CONVERSATIONS: list[list[str]] = [
    # an item's checklist by numbers, with a step back and a free-text answer
    ["帮我生成结婚登记的材料清单", "2", "上一步", "有一方或双方以前结过婚", "法院判的", ANSWER_BY_NUMBER],
    # a bundle (一件事): the union of its members' questions, by number
    ["新生儿出生一件事的材料清单", ANSWER_BY_NUMBER],
    # questions with a follow-up, then the offered checklist answered by the options' text
    ["普通护照签发要带什么材料", "那要多少钱？", "生成清单", ANSWER_BY_TEXT],
    # an unrelated question around questions (no "转人工": the one sender would be handed to staff for the rest)
    ["今天天气怎么样", "身份证丢了怎么补办", "那要多久", "谢谢"],
    # an ambiguous question resolved by a button, then a checklist abandoned
    ["护照要多少钱", CLICK_FIRST, "帮我生成居民身份证补领的材料清单", "1", "不办了"],
    # a question inside a checklist, then the checklist resumed and finished by text
    ["帮我生成结婚登记的材料清单", "结婚登记在哪里办", "头婚", ANSWER_BY_TEXT],
]


# ---------------------------------------------------------------------------------------------------------------
# Transports: one turn -> the assistant's messages as [{"text", "buttons": [{"title", "payload"}]}]

Turn = Callable[[str, str], list[dict]]


def rasa_turn(client: httpx.Client, rasa_url: str) -> Turn:
    """A turn straight to Rasa's REST channel (the channel needs no token)."""

    def send(sender: str, message: str) -> list[dict]:
        response = client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        response.raise_for_status()
        return [{"text": r.get("text", ""), "buttons": r.get("buttons") or []} for r in response.json()]

    return send


def app_turn(client: httpx.Client, url: str) -> Turn:
    """A turn through the application's web chat endpoint. The server may issue its own (signed) sender id: the
    one of its last response is sent for ``sender`` from then on."""
    issued: dict[str, str] = {}

    def send(sender: str, message: str) -> list[dict]:
        current = issued.get(sender, sender)
        response = client.post(f"{url}/api/v1/chat", json={"sender_id": current, "message": message})
        response.raise_for_status()
        body = response.json()
        issued[sender] = body.get("sender_id", current)
        return body["messages"]

    return send


def _options(messages: list[dict]) -> list[dict]:
    """The buttons of a reply that answer a checklist question."""
    return [b for m in messages for b in m.get("buttons", []) if str(b.get("payload", "")).startswith("/choose_option")]


def _buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons", [])]


@dataclass
class Stats:
    """Latencies of the turns of one run, in seconds, and its failures."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conversations: int = 0
    notices: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self, label: str) -> str:
        if not self.latencies:
            return f"{label}: no turns ({len(self.errors)} errors)"
        ms = [1000 * self.percentile(p) for p in (50, 95)] + [1000 * max(self.latencies)]
        return (
            f"{label}: {len(self.latencies)} turns in {self.conversations} conversations "
            f"({self.notices} notices), p50 {ms[0]:.0f} ms, p95 {ms[1]:.0f} ms, max {ms[2]:.0f} ms, "
            f"{len(self.errors)} errors"
        )


def conversation_steps(
    script: list[str], reply: Callable[[], list[dict]], choose: Callable[[int, int], int] | None = None
) -> Iterator[str]:
    """The messages of one scripted conversation; directives read the last reply through ``reply()``.
    ``choose(answered, options)`` gives the 0-based option to answer a checklist question with (default: 1, 2,
    1, …, both branches of the trees); the load test passes a random one, so each person's notice is its own."""
    for step in script:
        if step == CLICK_FIRST:
            buttons = _buttons(reply())
            if buttons:
                yield buttons[0]["payload"]
        elif step in (ANSWER_BY_NUMBER, ANSWER_BY_TEXT):
            for answered in range(MAX_ANSWERS):
                options = _options(reply())
                if not options:
                    break
                picked = choose(answered, len(options)) if choose else answered % len(options)
                if step == ANSWER_BY_NUMBER:
                    yield str(1 + picked)
                else:
                    yield options[picked]["title"]
        else:
            yield step


def run_conversation(
    send: Turn, script: list[str], stats: Stats, budget: Callable[[], bool], sender: str | None = None
) -> None:
    """Run one scripted conversation for ``sender`` (a fresh one by default), timing each turn; stops early when
    ``budget()`` is False (the run has its turns)."""
    sender = sender or f"bench-{uuid.uuid4().hex[:12]}"
    last: list[list[dict]] = [[]]  # the last reply, read by the script's directives
    stats.conversations += 1
    for message in conversation_steps(script, lambda: last[0]):
        if not budget():
            return
        start = time.perf_counter()
        try:
            last[0] = send(sender, message)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            stats.errors.append(f"{message!r}: {type(exc).__name__}: {exc}")
            last[0] = []
            continue
        if any(m.get("text", "").startswith(UNANSWERED) for m in last[0]):
            stats.errors.append(f"{message!r}: answered with the chat's apology (the actions failed)")
            continue
        stats.latencies.append(time.perf_counter() - start)
        if any(m.get("text", "").startswith("一次性告知单") for m in last[0]):
            stats.notices += 1


def sequential(send: Turn, turns: int) -> Stats:
    """Scripted conversations, one turn at a time, until ``turns`` turns are done."""
    stats = Stats()
    scripts = itertools.cycle(CONVERSATIONS)
    while len(stats.latencies) + len(stats.errors) < turns:
        run_conversation(send, next(scripts), stats, lambda: len(stats.latencies) + len(stats.errors) < turns)
    return stats


def one_sender(send: Turn, turns: int) -> tuple[Stats, Stats, Stats]:
    """A returning person: the scripted conversations one after another on ONE sender id until ``turns`` turns
    are done; the whole run, and its first and last 20 turns (does a long conversation get slower?)."""
    stats = Stats()
    sender = f"bench-returning-{uuid.uuid4().hex[:12]}"
    scripts = itertools.cycle(CONVERSATIONS)
    while len(stats.latencies) + len(stats.errors) < turns:
        run_conversation(
            send, next(scripts), stats, lambda: len(stats.latencies) + len(stats.errors) < turns, sender=sender
        )
    window = min(20, len(stats.latencies))
    return stats, Stats(stats.latencies[:window]), Stats(stats.latencies[-window:])


def concurrent(url: str, turns: int, senders: int) -> tuple[Stats, float]:
    """``senders`` threads, each running scripted conversations through /api/v1/chat, sharing a budget of
    ``turns`` turns; returns the stats and the wall time."""
    stats = Stats()
    lock = threading.Lock()
    taken = itertools.count()

    def budget() -> bool:
        with lock:
            return next(taken) < turns

    def worker(offset: int) -> None:
        local = Stats()
        scripts = itertools.islice(itertools.cycle(CONVERSATIONS), offset, None)
        with httpx.Client(timeout=TURN_TIMEOUT_S) as client:
            send = app_turn(client, url)
            while True:
                before = len(local.latencies) + len(local.errors)
                run_conversation(send, next(scripts), local, budget)
                if len(local.latencies) + len(local.errors) == before:
                    break  # the budget is spent
        with lock:
            stats.latencies += local.latencies
            stats.errors += local.errors
            stats.conversations += local.conversations
            stats.notices += local.notices

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(senders)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------------
# The server: started here (cold start measured), or found from --url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inventory(data: Path) -> list[str]:
    """What built artefacts exist before the start (read only; nothing is deleted)."""
    model = data / "rasa" / "models" / "dialogue.tar.gz"
    stamp = data / "rasa" / "models" / "dialogue.fingerprint"
    indexes = [p for p in (data / "index").glob("*") if (p / "manifest.json").is_file()]
    lines = [
        f"Rasa model {model}: "
        + (
            f"present ({time.strftime('%Y-%m-%d %H:%M', time.localtime(model.stat().st_mtime))})"
            if model.is_file()
            else "absent"
        )
        + (", with fingerprint" if stamp.is_file() else ", no fingerprint"),
        f"indexes under {data / 'index'}: {len(indexes)} complete",
    ]
    try:
        from assistant.retrieval.index import IndexSettings, default_directories, index_key

        key = index_key(default_directories(), IndexSettings())
        lines.append(
            f"index for the bundled catalogue ({key}): {'present' if key in {p.name for p in indexes} else 'absent'}"
        )
    except Exception as exc:  # the key is informative only; serve's own output below says what it did
        lines.append(f"index key not computed: {type(exc).__name__}: {exc}")
    return lines


@dataclass
class StartedServer:
    process: subprocess.Popen
    url: str
    rasa_url: str
    log: Path
    seconds_to_healthy: float

    def what_was_built(self) -> list[str]:
        """Whether serve reused or built the index and the model, from its own progress lines."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        index = (
            "built (" + m.group(1) + " s)"
            if (m := re.search(r"index ready in ([\d.]+) s", text))
            else "reused"
            if "knowledge " in text
            else "unknown"
        )
        model = (
            "trained"
            if "dialogue model trained" in text
            else "reused"
            if "dialogue model up to date" in text
            else "unknown"
        )
        prepared = re.search(r"prepared in (\d+) s", text)
        return [
            f"index: {index}; Rasa model: {model}",
            f"application prepared (index open, model checked) after {prepared.group(1) if prepared else '?'} s; "
            "the rest is the Rasa server loading its model",
        ]

    def stop(self) -> float:
        start = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.perf_counter() - start


def start_server(
    data: Path,
    *,
    port: int | None = None,
    rasa_port: int | None = None,
    options: list[str] | None = None,
    env: dict[str, str] | None = None,
    log_name: str = "bench-serve",
) -> StartedServer:
    """``assistant serve`` on free ports (or those given), with extra command-line ``options`` and environment
    variables ``env``; returns once /healthz answers 200. Its output goes to ``<data>/<log_name>-<port>.log``."""
    port, rasa_port = port or free_port(), rasa_port or free_port()
    log = data / f"{log_name}-{port}.log"
    env = {**os.environ, **(env or {}), "ASSISTANT_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--rasa-port", str(rasa_port)]
    command += options or []
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    while True:
        if process.poll() is not None:
            raise SystemExit(f"`assistant serve` exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.perf_counter() - start > START_TIMEOUT_S:
            process.kill()
            raise SystemExit(f"`assistant serve` not healthy after {START_TIMEOUT_S:.0f} s; see {log}")
        time.sleep(0.2)
    return StartedServer(process, url, f"http://127.0.0.1:{rasa_port}", log, time.perf_counter() - start)


def find_rasa_url(url: str) -> str | None:
    """The Rasa port of the `assistant serve` process listening on ``url``'s port, from its arguments."""
    port = str(urlsplit(url).port or 80)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "serve" in args and "--port" in args and args[args.index("--port") + 1 : args.index("--port") + 2] == [port]:
            rasa_port = args[args.index("--rasa-port") + 1] if "--rasa-port" in args else "5005"
            return f"http://127.0.0.1:{rasa_port}"
    return None


def load_line() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def report(stats: Stats, label: str) -> None:
    print(stats.line(label))
    for error in stats.errors[:5]:
        print(f"    error: {error}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running application (default: start `assistant serve` here)")
    parser.add_argument("--rasa-url", help="its Rasa server (default: read from the serve process's arguments)")
    parser.add_argument("--turns", type=int, default=200, help="turns per measurement (default 200)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders for the throughput run")
    args = parser.parse_args(argv)
    if args.turns < 1 or args.senders < 1:
        parser.error("--turns and --senders must be at least 1")

    print(f"dialogue benchmark, {time.strftime('%Y-%m-%d %H:%M:%S')}, {load_line()}")
    server: StartedServer | None = None
    if args.url:
        url = args.url.rstrip("/")
        rasa_url = args.rasa_url or find_rasa_url(url)
    else:
        data = data_dir().resolve()
        print("before the start:")
        for line in inventory(data):
            print(f"  {line}")
        server = start_server(data)
        url, rasa_url = server.url, server.rasa_url
        print(f"cold start: {server.seconds_to_healthy:.1f} s from launch to /healthz 200 ({url}, Rasa {rasa_url})")
        for line in server.what_was_built():
            print(f"  {line}")

    try:
        with httpx.Client(timeout=TURN_TIMEOUT_S) as client:
            app_turn(client, url)("bench-warm-up", "你好")  # the first turn pays lazy set-up in Rasa and the app
            if rasa_url:
                report(sequential(rasa_turn(client, rasa_url), args.turns), f"(a) Rasa REST webhook {rasa_url}")
            else:
                print("(a) Rasa REST webhook: skipped (pass --rasa-url; no serve process found for this --url)")
            report(sequential(app_turn(client, url), args.turns), "(b) POST /api/v1/chat")
            whole, first, last = one_sender(app_turn(client, url), args.turns)
            report(whole, "(c) one returning person, one sender id, POST /api/v1/chat")
            print(
                f"    first {len(first.latencies)} turns p50 {1000 * first.percentile(50):.0f} ms, "
                f"last {len(last.latencies)} turns p50 {1000 * last.percentile(50):.0f} ms"
                if whole.latencies
                else "    no turn answered"
            )
        stats, wall = concurrent(url, args.turns, args.senders)
        report(stats, f"(d) {args.senders} concurrent senders, POST /api/v1/chat")
        print(
            f"    throughput: {len(stats.latencies) / wall:.2f} turns/s ({len(stats.latencies)} turns in {wall:.1f} s)"
        )
        print(f"after the runs: {load_line()}")
    finally:
        if server is not None:
            print(f"stopped the server in {server.stop():.1f} s (SIGTERM; exit {server.process.returncode})")


if __name__ == "__main__":
    main()
