"""``assistant serve``: one command brings up the application and the dialogue engine.

In order: validate the catalogue and open (or build) the index; train the Rasa model when missing or stale;
start the Rasa server (loopback only, with an auth token for its HTTP API, conversations in a local SQLite
tracker store, actions served by the application's ``/webhook``); then run the FastAPI application under
uvicorn in this process. Ctrl-C or SIGTERM stops uvicorn, then the Rasa child; nothing is left running.

The settings are read once (:class:`api.settings.Settings`, the data directory in its ``paths`` section) and
passed down; nothing here writes the environment (the Rasa child gets its own through ``env=``).
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from assistant.dialogue.training import model_path, rasa_env, rasa_executable, train

Progress = Callable[[str], None]


def write_endpoints(rasa_dir: Path, action_url: str, tracker_db: Path, port: int) -> tuple[Path, Path]:
    """Rasa's endpoints (our action webhook, a SQLite tracker store so conversations survive a restart) and
    credentials (the REST channel the application talks to); named by Rasa's port, so two servers on one data
    directory never read each other's."""
    endpoints = {
        "action_endpoint": {"url": action_url},
        "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tracker_db.resolve())},
    }
    path = rasa_dir / f"endpoints-{port}.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    credentials = rasa_dir / f"credentials-{port}.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    return path, credentials


class RasaProcess:
    """The Rasa server as a child process, bound to loopback.

    Args:
        model: the trained model archive.
        rasa_dir: where endpoints, credentials, the tracker database and the log live.
        port: Rasa's port on 127.0.0.1.
        action_url: the action endpoint (the application's ``/webhook``).
        token: the auth token for Rasa's HTTP API (the REST channel itself needs none).
    """

    def __init__(self, model: Path, rasa_dir: Path, port: int, action_url: str, token: str):
        self.model = model
        self.rasa_dir = rasa_dir
        self.port = port
        self.action_url = action_url
        self.token = token
        self.process: subprocess.Popen | None = None
        self.log_path = rasa_dir / f"rasa-{port}.log"

    def start(self) -> None:
        endpoints, credentials = write_endpoints(
            self.rasa_dir, self.action_url, self.rasa_dir / "tracker.db", self.port
        )
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
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=self.rasa_dir,
            env=rasa_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our Ctrl-C is handled here, then passed on in order
        )
        atexit.register(self.stop)

    def watch(self, on_exit: Callable[[int], None]) -> None:
        """Call ``on_exit(returncode)`` from a daemon thread if Rasa stops while it should be running."""

        def run() -> None:
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self.process is process:  # not stopped by us
                on_exit(code)

        threading.Thread(target=run, name="rasa-watch", daemon=True).start()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    catalogues: list[Path] | None = None,
    bundled: bool = True,
    rasa_port: int = 5005,
    progress: Progress = print,
) -> None:
    """Build what is missing, start Rasa, and run the application until stopped.

    Args:
        host: the application's interface.
        port: the application's port.
        catalogues: extra catalogue directories, after those of ``CATALOGUES``.
        bundled: serve the bundled catalogue (first).
        rasa_port: the Rasa server's port on 127.0.0.1.
        progress: receives a line per step.
    """
    import uvicorn

    from api.app import create_app
    from api.settings import DialogueSettings, ServerSettings, Settings
    from assistant.serving.knowledge import KnowledgeHolder
    from assistant.serving.settings import PathSettings

    token = secrets.token_hex(24)
    paths = PathSettings()
    settings = Settings(
        server=ServerSettings(host=host, port=port),
        paths=paths.model_copy(update={"catalogues": [*paths.catalogues, *(catalogues or [])]}),
        dialogue=DialogueSettings(url=f"http://127.0.0.1:{rasa_port}", token=token),
    )
    paths = settings.paths
    started = time.monotonic()
    progress("checking the catalogue and the index…")
    holder = KnowledgeHolder.open_at(paths.index_root, paths.catalogues, bundled=bundled, progress=progress)
    progress(f"knowledge {holder.current.version} ready")
    train(holder.current, paths.rasa_root, progress=progress)
    rasa = RasaProcess(
        model_path(paths.rasa_root),
        paths.rasa_root,
        rasa_port,
        action_url=f"http://127.0.0.1:{port}/webhook",
        token=token,
    )
    failed: list[int] = []
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal to the handler found before
    # it started: make that handler a clean exit, so the `finally` below stops Rasa too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1 if failed else 0))
    rasa.start()
    progress(f"dialogue engine starting on 127.0.0.1:{rasa_port} (log: {rasa.log_path})")

    def rasa_exited(code: int) -> None:
        # without the dialogue engine the assistant cannot hold a conversation: stop, and say where to look
        failed.append(code)
        progress(f"the dialogue engine stopped unexpectedly (exit {code}); see {rasa.log_path}. Stopping.")
        os.kill(os.getpid(), signal.SIGTERM)

    rasa.watch(rasa_exited)
    app = create_app(settings, holder=holder)
    base = settings.server.public_url
    progress(
        f"the assistant on {base}/  ·  staff tool {base}/staff  ·  API docs {base}/docs  ·  health {base}/healthz"
        f"  (prepared in {time.monotonic() - started:.0f} s; Ctrl-C stops everything)"
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
    except KeyboardInterrupt:
        pass
    finally:
        progress("stopping the dialogue engine…")
        rasa.stop()


def main() -> None:  # pragma: no cover - `python -m assistant.serving.serve` for debugging
    serve(progress=lambda m: print(m, file=sys.stderr))
