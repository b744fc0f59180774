"""Who is asking: staff sessions (a cookie), roles, CSRF, and the admin token kept for automation.

``ClerkDep``, ``EditorDep`` and ``AdminDep`` are the route dependencies: each returns the
:class:`~assistant.console.staff.Staff` making the request, or refuses it: 401 (JSON) or a redirect to the login
page (a page) when nobody is logged in, 403 when the role is not enough, 403 when a state-changing request with a
session cookie lacks the session's CSRF token (header ``X-CSRF-Token``, or a form's ``csrf_token`` field).
``Authorization: Bearer <ADMIN_TOKEN>`` acts as an admin (scripts; no cookie, so no CSRF to check).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ConsoleDep, RepliesDep, SettingsDep
from api.pages import wants_html
from assistant.console import staff as accounts
from assistant.console.staff import Staff

COOKIE = "zwzs_staff"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PAGE = "/console/login"
FORM = "application/x-www-form-urlencoded"
TOKEN_USER = "admin-token"  # the audit log's name for requests made with ADMIN_TOKEN

_bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN (automation); pages use the session cookie")


class LoginRequired(HTTPException):
    """Nobody logged in: 401 for the API, a redirect to the login page for a browser asking for a page."""


async def current_staff(
    request: Request,
    db: ConsoleDep,
    settings: SettingsDep,
    replies: RepliesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff | None:
    """The member of staff making the request, None when nobody is logged in.

    Raises:
        HTTPException: 401 for a wrong admin token; 403 when a cookie-authenticated state-changing request lacks
            its CSRF token.
    """
    if credentials is not None and credentials.scheme.lower() == "bearer":
        if not secrets.compare_digest(credentials.credentials.encode(), settings.admin.token.encode()):
            raise HTTPException(401, "wrong admin token", {"WWW-Authenticate": "Bearer"})
        return Staff(TOKEN_USER, "admin")
    token = request.cookies.get(COOKIE, "")
    member = await asyncio.to_thread(accounts.resolve, db, token) if token else None
    if member is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "") or (await form_fields(request)).get("csrf_token", "")
        if not sent or not secrets.compare_digest(sent.encode(), member.csrf_token.encode()):
            if wants_html(request) or request.headers.get("content-type", "").startswith(FORM):
                raise HTTPException(403, replies("page_csrf_failed"))
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
    return member


def require(role: str):
    """A dependency that returns the member of staff when their role includes ``role``."""

    async def dependency(
        request: Request, replies: RepliesDep, member: Annotated[Staff | None, Depends(current_staff)]
    ) -> Staff:
        if member is None:
            if wants_html(request):
                if request.method != "GET":  # back to a form's result after logging in is no page
                    raise LoginRequired(303, "login required", {"Location": LOGIN_PAGE})
                target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
                raise LoginRequired(303, "login required", {"Location": f"{LOGIN_PAGE}?next={target}"})
            raise LoginRequired(401, "login required: POST /api/v1/auth/login, or send the admin token")
        if not member.can(role):
            if wants_html(request):
                raise HTTPException(403, replies("page_needs_admin" if role == "admin" else "page_needs_editor"))
            raise HTTPException(403, f"this needs the {role} role; you are logged in as a {member.role}")
        return member

    return dependency


ClerkDep = Annotated[Staff, Depends(require("clerk"))]
EditorDep = Annotated[Staff, Depends(require("editor"))]
AdminDep = Annotated[Staff, Depends(require("admin"))]
OptionalStaffDep = Annotated[Staff | None, Depends(current_staff)]


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a posted HTML form (``application/x-www-form-urlencoded``, what a form without files sends);
    {} for any other body. Read with the standard library: a form of a few fields needs no multipart parser.
    Starlette keeps the body, so a route can read the form again after the CSRF check."""
    if not request.headers.get("content-type", "").startswith(FORM):
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=100))
    except ValueError:
        raise HTTPException(400, "a form of more than 100 fields") from None


def client_ip(request: Request) -> str:
    """The caller's address, for the audit log."""
    return request.client.host if request.client else ""


def set_session_cookie(response: Response, token: str, public_url: str) -> None:
    """The session cookie: HttpOnly (no script reads it), SameSite=Lax, Secure behind https."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(accounts.SESSION_HOURS * 3600),
        httponly=True,
        samesite="lax",
        secure=public_url.startswith("https://"),
        path="/",
    )
