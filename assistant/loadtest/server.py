"""The server under load: ``assistant serve`` started here (and started again, on the same ports, after a kill),
its process tree read from ``/proc`` (memory, the dialogue engines), and the throwaway services it may use."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from assistant.bench.dialogue import StartedServer, free_port, start_server

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _parents() -> dict[int, int]:
    """Every process's parent, from ``/proc/<pid>/stat``."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields after it follow the last ')'
        fields = text[text.rindex(")") + 2 :].split()
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, grandchildren …)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident memory of ``pid`` and of it with all its descendants, in bytes."""
    own = rss(pid)
    return own, own + sum(rss(child) for child in descendants(pid))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) one process has used, in seconds (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()  # the fields after the command name; utime and stime are 14, 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of ``pid`` itself and of its descendants (serve, and its dialogue engines)."""
    return cpu_seconds(pid), sum(cpu_seconds(child) for child in descendants(pid))


def cpu_line(
    before: tuple[float, float], after: tuple[float, float], turns: int, seconds: float, generator: float = 0.0
) -> str:
    """What a turn cost in CPU time, in the application and in the dialogue engines, between two
    :func:`tree_cpu` readings; and what the load generator itself used (``generator`` seconds), since on one machine
    it takes its share of the same cores."""
    own, engines = after[0] - before[0], after[1] - before[1]
    if turns <= 0 or seconds <= 0:
        return ""
    return (
        f"{1000 * own / turns:.1f} ms serve + {1000 * engines / turns:.1f} ms dialogue engines "
        f"(serve {100 * own / seconds:.0f} % of a core, engines {100 * engines / seconds:.0f} %); "
        f"the load generator {1000 * generator / turns:.1f} ms ({100 * generator / seconds:.0f} %)"
    )


def rss_line(pid: int | None) -> str:
    if pid is None:
        return "unknown (no serve process found)"
    own, whole = tree_rss(pid)
    return f"{whole / 2**20:.0f} MiB (serve {own / 2**20:.0f} MiB, {len(descendants(pid))} child processes)"


def _is_rasa(args: list[str]) -> bool:
    """A Rasa server's command line: ``…/rasa run … --port N``."""
    return "run" in args and any("rasa" in a for a in args) and "--port" in args[:-1]


def rasa_engines(pid: int) -> dict[int, int]:
    """The dialogue engines below the serve process ``pid``: Rasa port -> process id (their command line holds
    ``rasa`` and ``run``)."""
    engines = {}
    for child in descendants(pid):
        args = _cmdline(child)
        if _is_rasa(args):
            engines[int(args[args.index("--port") + 1])] = child
    return engines


def orphan_engines(rasa_ports: list[int]) -> list[int]:
    """Rasa servers still listening for these ports' arguments, whoever their parent (a killed serve's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        args = _cmdline(int(cmdline.parent.name))
        if _is_rasa(args) and int(args[args.index("--port") + 1]) in rasa_ports:
            found.append(int(cmdline.parent.name))
    return found


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (``serve --dialogue-workers N`` uses PORT … PORT+N-1)."""
    for _ in range(200):
        base = free_port()
        if all(port_free(base + i) for i in range(1, count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def find_serve_pid(url: str) -> int | None:
    """The `assistant serve` process listening on ``url``'s port (by its arguments; 8000 when it names none)."""
    port = str(urlsplit(url).port or 80)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        args = _cmdline(int(cmdline.parent.name))
        if "serve" not in args or not any("assistant" in a for a in args):
            continue
        given = args[args.index("--port") + 1] if "--port" in args and args.index("--port") + 1 < len(args) else "8000"
        if given == port:
            return int(cmdline.parent.name)
    return None


@dataclass
class Serve:
    """``assistant serve`` run here, on fixed ports once chosen, so it can be started again where it was.

    Args:
        data: the data directory (its index and trained model are reused).
        dialogue_workers: passed as ``--dialogue-workers`` when given.
        env: extra environment (``DATABASE_URL``, ``REDIS_URL``).
    """

    data: Path
    dialogue_workers: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    rasa_port: int = 0
    started: StartedServer | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.rasa_port = self.rasa_port or free_ports(self.dialogue_workers or 1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port + i for i in range(self.dialogue_workers or 1)]

    @property
    def pid(self) -> int | None:
        return self.started.process.pid if self.started else None

    def start(self) -> float:
        """Start it (blocking) and return the seconds until /healthz said 200."""
        options = ["--dialogue-workers", str(self.dialogue_workers)] if self.dialogue_workers else []
        self.starts += 1
        self.started = start_server(
            self.data,
            port=self.port,
            rasa_port=self.rasa_port,
            options=options,
            env=self.env,
            log_name="loadtest-serve" if self.starts == 1 else f"loadtest-serve-{self.starts}",
        )
        return self.started.seconds_to_healthy

    @property
    def log(self) -> Path | None:
        return self.started.log if self.started else None

    def kill9(self) -> None:
        """SIGKILL the serve process itself (not its children: they must die with it)."""
        if self.started is not None:
            os.kill(self.started.process.pid, signal.SIGKILL)
            self.started.process.wait()

    def stop(self) -> float:
        """SIGTERM (then SIGKILL); the seconds it took."""
        if self.started is None or self.started.process.poll() is not None:
            return 0.0
        return self.started.stop()

    def wait_orphans_gone(self, timeout: float = 30.0) -> tuple[float, list[int]]:
        """After a kill: seconds until no Rasa server of ours is left and its ports are free, and the ones still
        there after ``timeout`` (then killed, so the next start can take the ports)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not orphan_engines(self.rasa_ports) and all(port_free(p) for p in [self.port, *self.rasa_ports]):
                return time.monotonic() - start, []
            time.sleep(0.2)
        left = orphan_engines(self.rasa_ports)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return time.monotonic() - start, left
