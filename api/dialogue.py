"""The conversation channel-neutral contract: a sender's message in, the assistant's messages out.

Routes (web chat, WeChat) depend on :class:`Dialogue` only; :class:`RasaDialogue` is the real one, talking to
the Rasa server's REST channel on loopback.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from pydantic import BaseModel, Field


class Button(BaseModel):
    """An option the person can pick; sending ``payload`` as the next message chooses it."""

    title: str
    payload: str


class BotMessage(BaseModel):
    """One message of the assistant: text, optional option buttons, optional link (the printable 告知单)."""

    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    link: str | None = None


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
    """Rasa REST channel output -> messages. A ``custom`` record carrying a link attaches to the message before it."""
    messages: list[BotMessage] = []
    for record in records:
        custom = record.get("custom") or {}
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
        except httpx.HTTPError as exc:
            raise DialogueUnavailable(f"the dialogue engine at {self.url} did not answer: {exc}") from exc
        return from_rasa(response.json())

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
