"""``POST /api/v1/auth/login`` and ``/logout``: a staff session in a cookie (HttpOnly, SameSite=Lax, Secure when
the public address is https); every login, refusal and logout goes to the audit log."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import COOKIE, OptionalStaffDep, client_ip, set_session_cookie
from api.deps import ConsoleDep, SettingsDep
from assistant.console import audit
from assistant.console import staff as accounts

router = APIRouter(prefix="/api/v1/auth", tags=["staff accounts"])


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class LoggedIn(BaseModel):
    username: str
    role: str
    csrf_token: str = Field(description="send it as the X-CSRF-Token header with every POST")


@router.post(
    "/login",
    summary="Log a member of staff in",
    response_model=LoggedIn,
    responses={401: {"description": "Wrong user name or password."}, 423: {"description": "Account locked."}},
)
async def login(
    body: Credentials, request: Request, response: Response, db: ConsoleDep, settings: SettingsDep
) -> LoggedIn | JSONResponse:
    """Check the name and password and set the session cookie; five wrong passwords in a row lock the account for
    15 minutes."""
    try:
        token, member = await asyncio.to_thread(accounts.login, db, body.username, body.password)
    except accounts.LoginRefused as refused:
        await asyncio.to_thread(
            audit.record, db, body.username, "", "login.refused", "", str(refused), client_ip(request)
        )
        return JSONResponse({"detail": str(refused)}, status_code=423 if refused.locked else 401)
    set_session_cookie(response, token, settings.server.public_url)
    await asyncio.to_thread(audit.record, db, member.username, member.role, "login", "", "", client_ip(request))
    return LoggedIn(username=member.username, role=member.role, csrf_token=member.csrf_token)


@router.post("/logout", summary="End the session", status_code=204)
async def logout(request: Request, db: ConsoleDep, member: OptionalStaffDep) -> Response:
    """End the session of the cookie (nothing to do without one)."""
    token = request.cookies.get(COOKIE)
    response = Response(status_code=204)
    if token:
        await asyncio.to_thread(accounts.logout, db, token)
        if member is not None:
            await asyncio.to_thread(
                audit.record, db, member.username, member.role, "logout", "", "", client_ip(request)
            )
    response.delete_cookie(COOKIE, path="/")
    return response
