"""What actions need from the running application: the current knowledge and the public address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.serving.knowledge import Knowledge
from nlu import AS_WRITTEN


@dataclass(frozen=True)
class Services:
    """Args:
    knowledge: returns the current knowledge snapshot (a reload swaps it between turns, never within one).
    public_url: the application's public address, for links to printable notices.
    """

    knowledge: Callable[[], Knowledge]
    public_url: str = "http://127.0.0.1:8000"


def latest_text(tracker: Any) -> str:
    """The latest message as the person wrote it (the NLU pipeline normalises "text" for its classifiers; the
    answer reads salutations, masks, punctuation and numbered asks itself)."""
    message = tracker.latest_message or {}
    return message.get(AS_WRITTEN) or message.get("text") or ""


def latest_entity(tracker: Any, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def latest_intent(tracker: Any) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")
