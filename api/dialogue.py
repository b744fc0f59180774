"""The conversation channel-neutral contract: a sender's message in, the assistant's messages out.

Routes (web chat, WeChat) depend on :class:`Dialogue` only; :class:`RasaDialogue` is the real one, talking to
the Rasa server's REST channel on loopback.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, Field, computed_field

from assistant.console.feedback import is_rateable
from assistant.replies import Replies

log = logging.getLogger(__name__)


class Button(BaseModel):
    """An option the person can pick; sending ``payload`` as the next message chooses it."""

    title: str
    payload: str


class BotMessage(BaseModel):
    """One message of the assistant: text, optional option buttons, optional link (the printable 告知单), and the
    message id a rating names (given when the message is stored: :mod:`api.conversations`)."""

    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    link: str | None = None
    message_id: str | None = Field(default=None, description="rate this message with POST /api/v1/feedback")
    author: str = Field(default="assistant", description="`assistant`, or `clerk` for a member of staff's reply")
    # what the dialogue says this message answered (outcome, item_id, element, confidence, version); stored, not sent
    meta: dict[str, Any] | None = Field(default=None, exclude=True)

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented form
        description="an answer, 告知单 or refusal, stored: the widget offers 满意 / 不满意 under it"
    )
    @property
    def rateable(self) -> bool:
        return self.message_id is not None and is_rateable((self.meta or {}).get("outcome"))


class DialogueUnavailable(RuntimeError):
    """The dialogue engine did not answer (not started, crashed, or timed out)."""


class Dialogue(Protocol):
    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        """Deliver one message of ``sender_id`` and return the assistant's replies, in order."""
        ...

    async def ready(self) -> bool:
        """True when the engine can take messages."""
        ...


def from_rasa(records: list[dict]) -> list[BotMessage]:
    """Rasa REST channel output -> messages. A ``custom`` record carrying a link, or ``meta`` (what the message
    answered: :func:`actions.answer.meta_of`), attaches to the message before it."""
    messages: list[BotMessage] = []
    for record in records:
        custom = record.get("custom") or {}
        if "text" not in record and custom.get("meta") and messages:
            messages[-1].meta = {**(messages[-1].meta or {}), **custom["meta"]}
            continue
        if "text" not in record and custom.get("link"):
            if messages:
                messages[-1].link = custom["link"]
            else:
                messages.append(BotMessage(text=custom.get("text", ""), link=custom["link"]))
            continue
        if "text" not in record and not record.get("buttons"):
            continue  # images, attachments: not produced by this assistant
        messages.append(
            BotMessage(
                text=record.get("text", ""),
                buttons=[Button(title=b["title"], payload=b["payload"]) for b in record.get("buttons") or []],
                link=custom.get("link"),
            )
        )
    return messages


class RasaDialogue:
    """The Rasa server's REST channel (``/webhooks/rest/webhook``), one HTTP call per message.

    A returning person's conversation stays bounded however long it runs: the tracker store starts a new session
    every few turns, the slots' values carried over (:class:`nlu.rasa_components.CheckedSQLTrackerStore`).

    Args:
        url: the Rasa server, e.g. ``http://127.0.0.1:5005``.
        token: the auth token of Rasa's HTTP API (``rasa run --auth-token``), needed for ``/status``.
        timeout: seconds to wait for a turn.
    """

    def __init__(self, url: str, token: str = "", timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        try:
            response = await self._client.post(
                f"{self.url}/webhooks/rest/webhook", json={"sender": sender_id, "message": message}
            )
            response.raise_for_status()
            records = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DialogueUnavailable(f"the dialogue engine at {self.url} did not answer: {exc}") from exc
        if not records:
            # every message gets an answer; Rasa's REST channel says nothing (200, []) when handling it failed, e.g.
            # its lock store or tracker store not answering for a moment (a Redis or PostgreSQL restart)
            raise DialogueUnavailable(f"the dialogue engine at {self.url} gave no answer (see its log)")
        return from_rasa(records)

    async def ready(self) -> bool:
        """True once the Rasa server has loaded its model."""
        try:
            params = {"token": self.token} if self.token else None
            response = await self._client.get(f"{self.url}/status", params=params)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        await self._client.aclose()


class ShardedDialogue:
    """Several dialogue engines (``assistant serve --dialogue-workers N``), each sender always routed to the same one.

    Consistent hashing (a ring of ``replicas`` points per engine, by BLAKE2b of its URL): a sender's engine is the
    first point after the sender id's hash. Every application process and machine computes the same route, so one
    conversation is only ever processed by one engine per machine (the open-source Redis lock store is not atomic
    across engines); adding an engine moves about 1/N of the senders, whose conversations continue from the shared
    tracker store. While a sender's engine does not answer (killed, restarting), its turns go to the next engine on
    the ring, which reads the same conversation from the shared tracker store; when every engine is down, the
    caller's fallback (:class:`GuidesWhenDown`) answers from the guides.

    Args:
        engines: the engines by their URL, in order.
        replicas: points per engine on the ring.

    Example:
        >>> ring = ShardedDialogue({"http://a": "A", "http://b": "B"})
        >>> ring.engine("web:42") == ring.engine("web:42")
        True
    """

    def __init__(self, engines: dict[str, Any], replicas: int = 1024):
        self.engines = dict(engines)
        ring = sorted((_hash(f"{url}#{i}"), url) for url in self.engines for i in range(replicas))
        self._points = [point for point, _ in ring]
        self._owners = [url for _, url in ring]

    def engine(self, sender_id: str) -> Any:
        """The engine of ``sender_id``."""
        return self.engines[self._route(sender_id)[0]]

    def _route(self, sender_id: str) -> list[str]:
        """Every engine's URL, in the ring's order from ``sender_id``'s point: its own first, then the stand-ins."""
        start = bisect.bisect(self._points, _hash(sender_id))
        route: list[str] = []
        for offset in range(len(self._owners)):
            owner = self._owners[(start + offset) % len(self._owners)]
            if owner not in route:
                route.append(owner)
                if len(route) == len(self.engines):
                    break
        return route

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        """Deliver to the sender's engine; while it is down (restarting), to the next one on the ring, which reads
        the same conversation from the shared tracker store: a checklist goes on rather than waiting."""
        *stand_ins, last = self._route(sender_id)
        for url in stand_ins:
            try:
                return await self.engines[url].send(sender_id, message)
            except DialogueUnavailable as exc:
                log.warning("dialogue engine %s unavailable (%s); %s goes to the next one", url, exc, sender_id[:40])
        return await self.engines[last].send(sender_id, message)

    async def ready(self) -> bool:
        """True when every engine can take messages."""
        return all(await asyncio.gather(*(engine.ready() for engine in self.engines.values())))

    async def aclose(self) -> None:
        for engine in self.engines.values():
            await engine.aclose()


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


class GuidesWhenDown:
    """The dialogue engine, and while it is down (restarting, hung) the guides answered directly: a typed question
    gets question answering's first bubble with a note that the conversation is being restored; a button's
    payload (which only the dialogue understands) gets a note asking to type the question. The supervisor in
    ``assistant serve`` brings the engine back; a checklist resumes where its tracker left it.

    Args:
        engine: the dialogue engine.
        ask: the current question answerer's ``ask`` (None while the knowledge is still loading: then the engine's
            unavailability stands).
        replies: the current reply texts.
    """

    def __init__(
        self,
        engine: Dialogue,
        ask: Callable[[], Callable[[str], Any] | None],
        replies: Callable[[], Replies],
    ):
        self.engine = engine
        self.ask = ask
        self.replies = replies

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        try:
            return await self.engine.send(sender_id, message)
        except DialogueUnavailable:
            ask = self.ask()
            if ask is None:
                raise
            log.warning("the dialogue engine is down: %s answered from the guides", sender_id[:40])
        replies = self.replies()
        if message.startswith("/"):
            return [BotMessage(text=replies("dialogue_down_button"))]
        answer = await asyncio.to_thread(ask, message)
        return [BotMessage(text=f"{answer.brief}\n{replies('dialogue_down')}")]

    async def ready(self) -> bool:
        return await self.engine.ready()  # type: ignore[attr-defined]

    async def aclose(self) -> None:
        close = getattr(self.engine, "aclose", None)
        if close is not None:
            await close()
