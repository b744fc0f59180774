"""Dependencies of the routes, as ``Annotated`` aliases: ``def route(knowledge: KnowledgeDep): ...``.

Everything comes from ``request.app.state`` (set up by :func:`api.app.create_app`), never from module globals,
so several applications (tests) can live in one process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from api.dialogue import Dialogue
from api.settings import Settings
from assistant.lookup import ItemLookup
from assistant.runtime import Knowledge, KnowledgeHolder

if TYPE_CHECKING:
    from api.app import KnowledgeLoader

RETRY_AFTER = {"Retry-After": "5"}


def get_settings(request: Request) -> Settings:
    """The application's settings."""
    return request.app.state.settings


def _loader(request: Request) -> KnowledgeLoader:
    return request.app.state.knowledge


def _not_ready(loader: KnowledgeLoader) -> HTTPException:
    if loader.status == "unavailable":
        return HTTPException(503, "the knowledge base failed to load; see the server log", headers=RETRY_AFTER)
    return HTTPException(503, "the knowledge base is still loading; try again in a few seconds", headers=RETRY_AFTER)


def get_knowledge(request: Request) -> Knowledge:
    """The knowledge being served (catalogue, index, answerer).

    Raises:
        HTTPException: 503 while it loads (or when it failed to load).
    """
    loader = _loader(request)
    knowledge = loader.current()
    if knowledge is None:
        raise _not_ready(loader)
    return knowledge


def get_holder(request: Request) -> KnowledgeHolder:
    """The holder of the knowledge (for reloads).

    Raises:
        HTTPException: 503 while the first load is still running.
    """
    loader = _loader(request)
    if loader.holder is None or not loader.holder.ready:
        raise _not_ready(loader)
    return loader.holder


def get_dialogue(request: Request) -> Dialogue:
    """The dialogue engine.

    Raises:
        HTTPException: 503 when none is configured (the application was used without its lifespan).
    """
    dialogue = request.app.state.dialogue
    if dialogue is None:
        raise HTTPException(503, "the dialogue engine is not running", headers=RETRY_AFTER)
    return dialogue


def get_lookup(request: Request, knowledge: Annotated[Knowledge, Depends(get_knowledge)]) -> ItemLookup:
    """The staff search over the current catalogue, built once per loaded catalogue (a reload builds a new one)."""
    cached = request.app.state.lookup
    if cached is not None and cached[0] is knowledge.catalogue:
        return cached[1]
    lookup = ItemLookup(knowledge.catalogue)
    request.app.state.lookup = (knowledge.catalogue, lookup)
    return lookup


def get_templates(request: Request) -> Jinja2Templates:
    """The page templates (autoescaping)."""
    return request.app.state.templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
HolderDep = Annotated[KnowledgeHolder, Depends(get_holder)]
DialogueDep = Annotated[Dialogue, Depends(get_dialogue)]
LookupDep = Annotated[ItemLookup, Depends(get_lookup)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
