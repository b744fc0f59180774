"""The application's state: what the lifespan builds, holds on ``app.state`` and closes.

:class:`AppState` is the one object on ``app.state`` (``app.state.assistant``); dependencies
(:mod:`api.deps`) read it, routes never touch ``app.state`` themselves. :class:`KnowledgeLoader` holds the
knowledge, possibly still being built in a worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi.templating import Jinja2Templates

from api.dialogue import Dialogue
from api.settings import Settings
from assistant.console.db import Database
from assistant.replies import Replies
from assistant.serving.knowledge import Knowledge, KnowledgeHolder
from nlu.heap import freeze_heap

if TYPE_CHECKING:
    from rasa_sdk.executor import ActionExecutor

    from api.wechat import WeChatChannel
    from assistant.retrieval.lookup import ItemLookup
    from knowledge.catalogue import Catalogue

log = logging.getLogger(__name__)


class KnowledgeLoader:
    """The knowledge holder of a running application, possibly still being built in a worker thread.

    Args:
        holder: an already built holder (tests, embedding applications); None to build one with :meth:`start`.
    """

    def __init__(self, holder: KnowledgeHolder | None = None):
        self.holder = holder
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self, build: Callable[[], KnowledgeHolder]) -> None:
        """Build the holder in a daemon thread (a daemon: a shutdown never waits for an index build)."""

        def run() -> None:
            try:
                self.holder = build()
                log.info("knowledge ready: version %s", self.holder.current.version)
                freeze_heap("knowledge loaded")
            except Exception as exc:  # a refused catalogue must not kill the server: /healthz reports it
                self.error = str(exc)
                log.exception("knowledge failed to load")

        self._thread = threading.Thread(target=run, name="knowledge-loader", daemon=True)
        self._thread.start()

    @property
    def status(self) -> str:
        """``ready``, ``starting`` (being built) or ``unavailable`` (the build failed)."""
        if self.holder is not None and self.holder.ready:
            return "ready"
        return "unavailable" if self.error is not None else "starting"

    def current(self) -> Knowledge | None:
        """The knowledge being served, or None while it loads (or after a failed start)."""
        return self.holder.current if self.holder is not None and self.holder.ready else None

    def require(self) -> Knowledge:
        """The knowledge being served.

        Raises:
            RuntimeError: it is still loading (or failed to load).
        """
        current = self.current()
        if current is None:
            raise RuntimeError("the knowledge base is still loading")
        return current


@dataclass
class AppState:
    """Everything a running application holds, built in its lifespan and closed at its end.

    Attributes:
        settings: the settings.
        knowledge: the knowledge, loading or loaded.
        dialogue: the dialogue engine.
        templates: the page templates.
        replies: returns the assistant's sentences with the contacts of the catalogue being served; the reply
            file's default contacts while it is not loaded yet (a 503 page, a WeChat apology in the first seconds).
        wechat: the WeChat channel (its late deliveries are cancelled at shutdown).
        actions: the Rasa action executor behind ``/webhook``.
        console: the application's database (messages, staff, handoffs, ratings, the audit log).
        dialogue_seen_ready: the dialogue engine has answered its readiness probe once (a later failure means
            it went away, not that it is still starting).
        lookup: the staff search with the catalogue it was built for (rebuilt after a reload).
    """

    settings: Settings
    knowledge: KnowledgeLoader
    dialogue: Dialogue
    templates: Jinja2Templates
    replies: Callable[[], Replies]
    wechat: WeChatChannel
    actions: ActionExecutor
    console: Database
    dialogue_seen_ready: bool = False
    lookup: tuple[Catalogue, ItemLookup] | None = None
