"""``POST /api/v1/admin/reload``: load the catalogue again; a refused catalogue leaves the running one serving."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from api.deps import HolderDep, SettingsDep
from knowledge.errors import CatalogueError
from nlu.heap import freeze_heap

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN")


def require_admin(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Check ``Authorization: Bearer <ADMIN_TOKEN>``.

    Raises:
        HTTPException: 401 when the header is missing or the token is wrong.
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "admin token required: send 'Authorization: Bearer <ADMIN_TOKEN>'", challenge)
    if not secrets.compare_digest(credentials.credentials.encode(), settings.admin.token.encode()):
        raise HTTPException(401, "wrong admin token", challenge)


class Reloaded(BaseModel):
    """A successful reload."""

    status: str = "reloaded"
    knowledge_version: str
    previous_version: str


class Problem(BaseModel):
    """One reason a catalogue was refused."""

    code: str
    file: str
    line: int | None
    item: str | None
    field: str | None
    reason: str


class Refused(BaseModel):
    """A refused catalogue: every problem, as one line each and as data."""

    detail: str
    knowledge_version: str
    problems: list[str]
    details: list[Problem]


@router.post(
    "/reload",
    summary="Reload the catalogue and its index",
    response_model=Reloaded,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "Missing or wrong admin token."},
        422: {"model": Refused, "description": "The catalogue does not validate; the running knowledge stays."},
        503: {"description": "The first load is still running."},
    },
)
async def reload(holder: HolderDep) -> Reloaded | JSONResponse:
    """Validate the catalogue directories again, build (or open) their index, and swap them in atomically.
    Questions keep being answered from the previous knowledge meanwhile, and after a refusal."""
    previous = holder.current.version
    try:
        fresh = await asyncio.to_thread(holder.reload)
    except CatalogueError as exc:
        log.warning("reload refused: %s", exc)
        refused = Refused(
            detail=f"catalogue refused ({len(exc.problems)} problem(s)); the running knowledge keeps serving",
            knowledge_version=holder.current.version,
            problems=[str(p) for p in exc.problems],
            details=[Problem(**p.to_dict()) for p in exc.problems],
        )
        return JSONResponse(refused.model_dump(), status_code=422)
    log.info("knowledge reloaded: %s -> %s", previous, fresh.version)
    await asyncio.to_thread(freeze_heap, "knowledge reloaded")  # frees the old knowledge's cycles, exempts the new
    return Reloaded(knowledge_version=fresh.version, previous_version=previous)
