"""Health: ``/livez`` (the process answers), ``/readyz`` (it can answer questions: the knowledge is loaded; the
dialogue engine is not needed, questions are answered from the guides while it restarts) and ``/healthz`` (every
part, the dialogue engine included, for people and monitoring). An orchestrator probes the first two: neither
waits on the dialogue engine, so a busy or restarting engine never gets a healthy instance evicted."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import StateDep

if TYPE_CHECKING:
    from api.state import AppState

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

PartStatus = Literal["ready", "starting", "unavailable"]
READY_TIMEOUT_S = 2.0  # a health probe must answer fast even when the dialogue engine hangs


class Parts(BaseModel):
    """Readiness of each part the assistant needs."""

    knowledge: PartStatus
    dialogue: PartStatus


class Health(BaseModel):
    """The health report: ``ok`` only when every part is ready."""

    status: Literal["ok", "starting", "unavailable"]
    knowledge_version: str | None
    parts: Parts


async def _dialogue_status(state: AppState) -> PartStatus:
    probe = getattr(state.dialogue, "ready", None)
    if probe is None:  # a dialogue without a readiness probe is ready once it exists
        return "ready"
    try:
        ready = bool(await asyncio.wait_for(probe(), READY_TIMEOUT_S))
    except Exception as exc:  # a probe that fails means "not ready", never a failing health check
        log.warning("dialogue readiness probe failed: %s", exc)
        ready = False
    if ready:
        state.dialogue_seen_ready = True
        return "ready"
    # before its first success the engine is still starting (Rasa takes ~30 s); after it, it went away
    return "unavailable" if state.dialogue_seen_ready else "starting"


@router.get(
    "/healthz",
    summary="Readiness of the knowledge and the dialogue engine",
    response_model=Health,
    responses={503: {"model": Health, "description": "A part is still starting or unavailable."}},
)
async def healthz(state: StateDep) -> JSONResponse:
    """200 with ``status: ok`` once the knowledge is loaded and the dialogue engine is ready; 503 otherwise,
    naming the part that is ``starting`` or ``unavailable``."""
    loader = state.knowledge
    knowledge = loader.current()
    parts = Parts(knowledge=loader.status, dialogue=await _dialogue_status(state))
    states = {parts.knowledge, parts.dialogue}
    status = "ok" if states == {"ready"} else "unavailable" if "unavailable" in states else "starting"
    report = Health(status=status, knowledge_version=knowledge.version if knowledge else None, parts=parts)
    return JSONResponse(report.model_dump(), status_code=200 if status == "ok" else 503)


@router.get("/livez", summary="Liveness: the process answers", response_model=dict[str, str])
async def livez() -> dict[str, str]:
    """200 whenever the application answers HTTP at all."""
    return {"status": "alive"}


@router.get(
    "/readyz",
    summary="Readiness: questions can be answered (the knowledge is loaded)",
    responses={503: {"description": "The knowledge is still loading or failed to load."}},
)
async def readyz(state: StateDep) -> JSONResponse:
    """200 once the knowledge is loaded, without asking the dialogue engine (see ``/healthz`` for it)."""
    loader = state.knowledge
    knowledge = loader.current()
    ready = knowledge is not None
    body = {"status": "ready" if ready else loader.status, "knowledge_version": knowledge.version if ready else None}
    return JSONResponse(body, status_code=200 if ready else 503)
