"""Dependencies of the routes, as ``Annotated`` aliases: ``def route(knowledge: KnowledgeDep): ...``.

Everything comes from the :class:`~api.state.AppState` the lifespan put on ``app.state`` (never from module
globals), so several applications (tests) can live in one process. A dependency that only reads the state is
``async def``: FastAPI runs a plain ``def`` one in a worker thread, a thread hop on every request for nothing.
Routes import this module (and models), never :mod:`api.app`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from rasa_sdk.executor import ActionExecutor

from api.dialogue import Dialogue
from api.pages import Pages
from api.settings import Settings
from api.state import AppState, KnowledgeLoader
from api.wechat import WeChatChannel
from assistant.console.db import Database
from assistant.replies import Replies
from assistant.retrieval.lookup import ItemLookup
from assistant.serving.knowledge import Knowledge, KnowledgeHolder

RETRY_AFTER = {"Retry-After": "5"}


async def get_state(request: Request) -> AppState:
    """The application's state.

    Raises:
        HTTPException: 503 when the application runs without its lifespan (nothing is built then).
    """
    state = getattr(request.app.state, "assistant", None)
    if state is None:
        raise HTTPException(503, "the application is not started", headers=RETRY_AFTER)
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    """The application's settings."""
    return state.settings


async def get_loader(state: StateDep) -> KnowledgeLoader:
    """The knowledge, loading or loaded (for health reports; routes that answer use :func:`get_knowledge`)."""
    return state.knowledge


def _not_ready(loader: KnowledgeLoader) -> HTTPException:
    if loader.status == "unavailable":
        return HTTPException(503, "the knowledge base failed to load; see the server log", headers=RETRY_AFTER)
    return HTTPException(503, "the knowledge base is still loading; try again in a few seconds", headers=RETRY_AFTER)


async def get_knowledge(state: StateDep) -> Knowledge:
    """The knowledge being served (catalogue, index, answerer).

    Raises:
        HTTPException: 503 while it loads (or when it failed to load).
    """
    knowledge = state.knowledge.current()
    if knowledge is None:
        raise _not_ready(state.knowledge)
    return knowledge


async def get_holder(state: StateDep) -> KnowledgeHolder:
    """The holder of the knowledge (for reloads).

    Raises:
        HTTPException: 503 while the first load is still running.
    """
    holder = state.knowledge.holder
    if holder is None or not holder.ready:
        raise _not_ready(state.knowledge)
    return holder


async def get_dialogue(state: StateDep) -> Dialogue:
    """The dialogue engine."""
    return state.dialogue


def get_lookup(state: StateDep, knowledge: Annotated[Knowledge, Depends(get_knowledge)]) -> ItemLookup:
    """The staff search over the current catalogue, reading text as question answering does (the index's
    normaliser; a catalogue served without an index gets one over its own words), built once per loaded
    catalogue (a reload builds a new one)."""
    if state.lookup is not None and state.lookup[0] is knowledge.catalogue:
        return state.lookup[1]
    index = getattr(knowledge, "index", None)
    lookup = ItemLookup(knowledge.catalogue, normaliser=getattr(index, "normaliser", None))
    state.lookup = (knowledge.catalogue, lookup)
    return lookup


async def get_replies(state: StateDep) -> Replies:
    """The assistant's sentences, with the contacts of the catalogue served (the defaults while it loads)."""
    return state.replies()


async def get_pages(state: StateDep) -> Pages:
    """The page templates (autoescaping), with the assistant's sentences."""
    return Pages(state.templates, state.replies())


async def get_channel(state: StateDep) -> WeChatChannel:
    """The WeChat official account's channel."""
    return state.wechat


async def get_console(state: StateDep) -> Database:
    """The application's database (messages, staff, handoffs, ratings, the audit log)."""
    return state.console


async def get_actions(state: StateDep) -> ActionExecutor:
    """The Rasa action executor behind ``/webhook``."""
    return state.actions


SettingsDep = Annotated[Settings, Depends(get_settings)]
LoaderDep = Annotated[KnowledgeLoader, Depends(get_loader)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
HolderDep = Annotated[KnowledgeHolder, Depends(get_holder)]
DialogueDep = Annotated[Dialogue, Depends(get_dialogue)]
LookupDep = Annotated[ItemLookup, Depends(get_lookup)]
RepliesDep = Annotated[Replies, Depends(get_replies)]
PagesDep = Annotated[Pages, Depends(get_pages)]
ChannelDep = Annotated[WeChatChannel, Depends(get_channel)]
ActionsDep = Annotated[ActionExecutor, Depends(get_actions)]
ConsoleDep = Annotated[Database, Depends(get_console)]
