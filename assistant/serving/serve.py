"""``assistant serve``: one command brings up the application and the dialogue engine.

In order: open the operational log (``<data_dir>/logs``, masked, rotated daily); validate the catalogue and open
(or build) the index; train the Rasa model when missing or stale; start the Rasa servers (``--dialogue-workers``,
loopback only, with an auth token for their HTTP API, conversations in a local SQLite tracker store or in
PostgreSQL with ``DATABASE_URL``, locks in Redis with ``REDIS_URL``, actions served by the application's
``/webhook``), each supervised; enforce the conversations' retention now and every six hours; then run the FastAPI
application under uvicorn in this process. Ctrl-C or SIGTERM stops uvicorn, then the Rasa children; nothing is left
running, and a child outlives no ``kill -9`` of this process (its death signal).

The settings are read once (:class:`api.settings.Settings`, the data directory in its ``paths`` section) and
passed down; nothing here writes the environment (the Rasa child gets its own through ``env=``).
"""

from __future__ import annotations

import atexit
import logging
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from assistant.dialogue.training import model_path, rasa_env, rasa_executable, train

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


PROBE_INTERVAL_S = 5.0  # how often the supervisor asks the dialogue engine over HTTP whether it answers
EXIT_CHECK_S = 1.0  # how often it looks whether the engine's process has exited (a dead engine is restarted at once)
HUNG_PROBES = 4  # failed health probes in a row (the engine alive) before it is taken for hung and restarted
MAX_BACKOFF_S = 30.0  # the longest wait before starting a dead engine again
STABLE_S = 120.0  # healthy this long, the back-off starts from 1 s again
START_GRACE_S = 300.0  # a starting engine not yet answering is not taken for hung before this
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the parent dies (even by SIGKILL), so no orphan engine keeps
    its port. Linux only; elsewhere nothing is done."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def write_endpoints(
    rasa_dir: Path,
    action_url: str,
    tracker_db: Path,
    port: int,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> tuple[Path, Path]:
    """Rasa's endpoints (our action webhook; the tracker store, so conversations survive a restart: SQLite in the
    data directory, or PostgreSQL at ``database_url``; with ``redis_url`` Rasa's Redis lock store, so two engines
    never process one conversation at once) and credentials (the REST channel the application talks to); named by
    Rasa's port, so two servers on one data directory never read each other's. The files hold the database password
    when there is one: they are written readable by the owner only."""
    # the domain (every slot, response and form) goes only to the actions that read it, Rasa's `validate_*`
    # actions (the form's): the others get the tracker alone
    endpoints: dict = {"action_endpoint": {"url": action_url, "enable_selective_domain": True}}
    if database_url:
        # Rasa uses a full URL as given; psycopg2 (in Rasa's lock) is SQLAlchemy 1.4's default PostgreSQL driver
        url = "postgresql://" + database_url.split("://", 1)[1]
        endpoints["tracker_store"] = {"type": TRACKER_STORE, "dialect": "postgresql", "url": url, "db": _database(url)}
    else:
        endpoints["tracker_store"] = {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(tracker_db.resolve())}
    if redis_url:
        endpoints["lock_store"] = _redis_lock_store(redis_url)
    path = rasa_dir / f"endpoints-{port}.yml"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False, allow_unicode=True), encoding="utf-8")
    credentials = rasa_dir / f"credentials-{port}.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    return path, credentials


def _database(url: str) -> str:
    """The database name of a PostgreSQL URL (Rasa's SQL store wants it apart, even with a full URL)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path.lstrip("/") or "rasa"


TRACKER_STORE = "nlu.rasa_components.CheckedSQLTrackerStore"  # Rasa's SQL store, connections checked before use
LOCK_KEY_PREFIX = "zhengwu"  # Rasa's lock keys become zhengwu:lock:<conversation id> (alphanumeric only, said Rasa)


def _redis_lock_store(redis_url: str) -> dict:
    """Rasa's Redis lock store settings from a ``redis://[user:password@]host:port/db`` URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    store: dict = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": LOCK_KEY_PREFIX,
    }
    if parts.password:
        store["password"] = parts.password
    if parts.username:
        store["username"] = parts.username
    if parts.scheme == "rediss":
        store["use_ssl"] = True
    return store


class RasaProcess:
    """The Rasa server as a child process, bound to loopback.

    Args:
        model: the trained model archive.
        rasa_dir: where endpoints, credentials, the tracker database and the log live.
        port: Rasa's port on 127.0.0.1.
        action_url: the action endpoint (the application's ``/webhook``).
        token: the auth token for Rasa's HTTP API (the REST channel itself needs none).
        database_url: the PostgreSQL database of the conversations (None: SQLite in ``rasa_dir``).
        redis_url: the Redis server of the conversation locks (None: Rasa's in-memory locks).
    """

    def __init__(
        self,
        model: Path,
        rasa_dir: Path,
        port: int,
        action_url: str,
        token: str,
        database_url: str | None = None,
        redis_url: str | None = None,
    ):
        self.model = model
        self.rasa_dir = rasa_dir
        self.port = port
        self.action_url = action_url
        self.token = token
        self.database_url = database_url
        self.redis_url = redis_url
        self.process: subprocess.Popen | None = None
        self.log_path = rasa_dir / f"rasa-{port}.log"
        self.files: tuple[Path, ...] = ()  # its endpoints (the database password, when there is one) and credentials
        atexit.register(self.stop)

    def start(self) -> None:
        endpoints, credentials = write_endpoints(
            self.rasa_dir, self.action_url, self.rasa_dir / "tracker.db", self.port, self.database_url, self.redis_url
        )
        self.files = (endpoints, credentials)
        command = [
            str(rasa_executable()),
            "run",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--model",
            str(self.model.resolve()),
            "--endpoints",
            str(endpoints.resolve()),
            "--credentials",
            str(credentials.resolve()),
            f"--auth-token={self.token}",  # one argument, whatever the token's first character
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.rasa_dir,
                env=rasa_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C is handled here, then passed on in order
                preexec_fn=_die_with_parent,
            )

    def supervise(self, healthy: Callable[[], bool], progress: Progress, stopping: threading.Event) -> None:
        """Keep Rasa running, from a daemon thread: a dead engine, or one that fails ``HUNG_PROBES`` health probes
        in a row, is (killed and) started again after a back-off of 1, 2, 4 … ``MAX_BACKOFF_S`` seconds (reset after
        ``STABLE_S`` healthy seconds); each restart is said through ``progress``. While it is down the application
        answers questions from the guides directly. The thread that starts the engine again lives as long as the
        process: the engine's death signal follows the thread that started it."""

        def run() -> None:
            backoff, failures, up_since, answered = 1.0, 0, time.monotonic(), False
            probed = time.monotonic()
            while not stopping.wait(EXIT_CHECK_S):
                process = self.process
                if process is None:
                    return  # stopped by us
                if process.poll() is None:
                    if time.monotonic() - probed < PROBE_INTERVAL_S:
                        continue
                    probed = time.monotonic()
                    if healthy():
                        failures, answered = 0, True
                    elif answered or time.monotonic() - up_since > START_GRACE_S:  # loading a model takes a while
                        failures += 1
                    if failures < HUNG_PROBES:
                        if time.monotonic() - up_since > STABLE_S:
                            backoff = 1.0
                        continue
                    progress(f"the dialogue engine stopped answering ({failures} probes); restarting it")
                    self.stop(timeout=5.0)
                    self.process = process  # stopped by the supervisor, not by serve
                else:
                    progress(f"the dialogue engine exited ({process.returncode}); see {self.log_path}")
                if stopping.wait(backoff):
                    return
                progress(f"starting the dialogue engine again (after {backoff:.0f} s)")
                self.start()
                backoff, failures, up_since, answered = min(2 * backoff, MAX_BACKOFF_S), 0, time.monotonic(), False
                probed = up_since

        threading.Thread(target=run, name=f"rasa-supervisor-{self.port}", daemon=True).start()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; its endpoints and credentials files are removed (a start
        writes them again), so no database password is left behind in the data directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for path in self.files:
            path.unlink(missing_ok=True)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    catalogues: list[Path] | None = None,
    bundled: bool = True,
    rasa_port: int = 5005,
    dialogue_workers: int = 1,
    progress: Progress = print,
) -> None:
    """Build what is missing, start Rasa, and run the application until stopped.

    Args:
        host: the application's interface.
        port: the application's port.
        catalogues: extra catalogue directories, after those of ``CATALOGUES``.
        bundled: serve the bundled catalogue (first).
        rasa_port: the first Rasa server's port on 127.0.0.1 (worker i listens on ``rasa_port + i``).
        dialogue_workers: Rasa processes to run; each sender is always routed to the same one (consistent hashing
            in :class:`api.dialogue.ShardedDialogue`), so no two of them work on one conversation at once.
        progress: receives a line per step.
    """
    import uvicorn

    from api.app import create_app
    from api.settings import DialogueSettings, ServerSettings, Settings
    from assistant.console.db import console_database_url
    from assistant.serving.knowledge import KnowledgeHolder
    from assistant.serving.logs import configure_logging, uvicorn_log_config
    from assistant.serving.retention import start_retention, tracker_database_url
    from assistant.serving.settings import PathSettings
    from nlu.heap import freeze_heap

    token = secrets.token_hex(24)
    paths = PathSettings()
    ports = [rasa_port + i for i in range(max(1, dialogue_workers))]
    settings = Settings(
        server=ServerSettings(host=host, port=port),
        paths=paths.model_copy(update={"catalogues": [*paths.catalogues, *(catalogues or [])]}),
        dialogue=DialogueSettings(url=",".join(f"http://127.0.0.1:{p}" for p in ports), token=token),
    )
    paths, stores = settings.paths, settings.stores
    log_file = configure_logging(paths.data_dir, settings.retention.log_days)
    say = progress

    def progress(message: str) -> None:  # every step on the console and in the operational log
        say(message)
        log.info("%s", message)

    progress(f"operational log: {log_file} (kept {settings.retention.log_days} days, personal numbers masked)")
    started = time.monotonic()
    progress("checking the catalogue and the index…")
    holder = KnowledgeHolder.open_at(paths.index_root, paths.catalogues, bundled=bundled, progress=progress)
    progress(f"knowledge {holder.current.version} ready")
    train(holder.current, paths.rasa_root, progress=progress)
    workers = [
        RasaProcess(
            model_path(paths.rasa_root),
            paths.rasa_root,
            worker_port,
            action_url=f"http://127.0.0.1:{port}/webhook",
            token=token,
            database_url=stores.database_url,
            redis_url=stores.redis_url,
        )
        for worker_port in ports
    ]
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal to the handler found before
    # it started: make that handler a clean exit, so the `finally` below stops Rasa too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stopping = threading.Event()
    start_retention(
        tracker_database_url(paths.data_dir, stores.database_url),
        settings.retention.conversation_days,
        stopping,
        progress=progress,
        console_url=console_database_url(paths.data_dir, stores.database_url),
        log_days=settings.retention.log_days,
    )
    where = "PostgreSQL" if stores.database_url else f"{paths.rasa_root / 'tracker.db'}"
    for rasa in workers:
        rasa.start()
        progress(f"dialogue engine starting on 127.0.0.1:{rasa.port} (log: {rasa.log_path}; conversations: {where})")
        status = f"http://127.0.0.1:{rasa.port}/status"
        # one client per engine for as long as serve runs (its supervisor may probe until the process ends): a
        # client made for each probe built a TLS context every time
        probe = httpx.Client(timeout=3.0)
        rasa.supervise(lambda status=status, probe=probe: _answers(probe, status, token), progress, stopping)
    app = create_app(settings, holder=holder)
    freeze_heap("knowledge loaded")  # the index, the catalogue and the application built: spared the collector
    base = settings.server.public_url
    progress(
        f"the assistant on {base}/  ·  staff console {base}/console/login  ·  API docs {base}/docs  ·  health "
        f"{base}/healthz  (prepared in {time.monotonic() - started:.0f} s; Ctrl-C stops everything)"
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=5,
            log_config=uvicorn_log_config(),  # uvicorn's own and access lines into the operational log too
        )
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        progress("stopping the dialogue engine…")
        for rasa in workers:
            rasa.stop()


def _answers(client: httpx.Client, status_url: str, token: str) -> bool:
    """True when the Rasa server answers its status within the client's timeout (a model still loading counts: it
    is alive)."""
    try:
        return client.get(status_url, params={"token": token}).status_code < 500
    except httpx.HTTPError:
        return False


def main() -> None:  # pragma: no cover - `python -m assistant.serving.serve` for debugging
    serve(progress=lambda m: print(m, file=sys.stderr))
