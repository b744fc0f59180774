"""Test doubles for the application tests: a dialogue whose readiness the test sets, and a knowledge holder that
serves only a catalogue (for the routes that never touch the index; they speak with its contacts); and
:func:`serving`, an application served by uvicorn in a thread for the browser tests."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from api.dialogue import BotMessage
from assistant.replies import Replies
from knowledge.catalogue import Catalogue


class FakeDialogue:
    """A dialogue engine that says it is ready when ``is_ready`` is true, and echoes messages (each one recorded in
    ``calls`` with the sender id it came under)."""

    def __init__(self, is_ready: bool = True):
        self.is_ready = is_ready
        self.closed = False
        self.calls: list[tuple[str, str]] = []

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        return [BotMessage(text=f"echo: {message}")]

    async def ready(self) -> bool:
        return self.is_ready


@dataclass(frozen=True)
class CatalogueKnowledge:
    """The part of :class:`assistant.serving.knowledge.Knowledge` the guide, checklist and page routes use."""

    catalogue: Catalogue

    @property
    def version(self) -> str:
        return self.catalogue.version()

    @property
    def qa(self) -> NoIndexAnswerer:
        return NoIndexAnswerer(Replies.load(self.catalogue.infos[0].contacts))


@dataclass(frozen=True)
class NoIndexAnswerer:
    """The answerer's sentences (with the catalogue's contacts), and no answers: there is no index."""

    replies: Replies

    def ask(self, *args, **kwargs):
        raise AssertionError("this test double has no index: mark the test integration and use the real holder")


class CatalogueHolder:
    """A :class:`assistant.serving.knowledge.KnowledgeHolder` stand-in that serves a loaded catalogue, already ready."""

    def __init__(self, catalogue: Catalogue):
        self.current = CatalogueKnowledge(catalogue)
        self.ready = True

    def reload(self, progress=None):
        return self.current


@contextmanager
def serving(make_app: Callable[[int], FastAPI]) -> Iterator[str]:
    """The application ``make_app(port)`` served by uvicorn on a free loopback port, in a thread; yields its base URL
    (no trailing slash) and stops it afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(port), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the local test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def catalogue_app(catalogue: Catalogue, data_dir: Path | None = None) -> Callable[[int], FastAPI]:
    """For :func:`serving`: the application over ``catalogue`` alone (no index), its dialogue a
    :class:`FakeDialogue`, its public address the port it is served on, its data directory ``data_dir`` (its own
    database: staff accounts, messages; a new temporary directory when None)."""

    def make(port: int) -> FastAPI:
        from api.app import create_app
        from api.settings import ServerSettings, Settings
        from assistant.serving.settings import PathSettings

        paths = PathSettings(data_dir=data_dir or Path(tempfile.mkdtemp(prefix="zwzs-app-")))
        return create_app(
            Settings(server=ServerSettings(port=port), paths=paths),
            holder=CatalogueHolder(catalogue),
            dialogue=FakeDialogue(),
        )

    return make
