"""Addresses of pages the assistant links to, shared by dialogue actions, routes and channels.

The printable 一次性告知单 of an item or bundle is ``/notice/{entry_id}`` with one query parameter per answered
question (``question_id=option_id``; repeated for a multiple choice), so any link can be rebuilt from the answers.

Example:
    >>> notice_path("passport-first", {"agent": "self", "under_16": "no"})
    '/notice/passport-first?agent=self&under_16=no'
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

Answers = Mapping[str, str | list[str]]


def notice_path(entry_id: str, answers: Answers | None = None) -> str:
    """The path of the printable notice for these answers."""
    query = urlencode(list(_pairs(answers or {})))
    return f"/notice/{quote(entry_id)}" + (f"?{query}" if query else "")


def notice_url(base_url: str, entry_id: str, answers: Answers | None = None) -> str:
    """The absolute address of the printable notice (``base_url`` is the public address of the application)."""
    return base_url.rstrip("/") + notice_path(entry_id, answers)


def answers_from_query(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Query parameters back to answers: a question given twice becomes a multiple choice."""
    answers: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in answers:
            previous = answers[key]
            answers[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            answers[key] = value
    return answers


def _pairs(answers: Answers):
    for question, chosen in answers.items():
        for option in [chosen] if isinstance(chosen, str) else chosen:
            yield question, option
