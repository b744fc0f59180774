"""Test doubles for the application tests: a dialogue whose readiness the test sets, and a knowledge holder that
serves only a catalogue (for the routes that never touch the index; they speak with its contacts)."""

from __future__ import annotations

from dataclasses import dataclass

from api.dialogue import BotMessage
from assistant.replies import Replies
from knowledge.catalogue import Catalogue


class FakeDialogue:
    """A dialogue engine that says it is ready when ``is_ready`` is true, and echoes messages."""

    def __init__(self, is_ready: bool = True):
        self.is_ready = is_ready
        self.closed = False

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
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
