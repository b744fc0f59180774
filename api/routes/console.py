"""The staff console's login and logout pages, the audit log and the accounts: ``/console/login``,
``/console/logout``, ``/console/audit`` (a table with a date filter), ``GET /api/v1/audit`` (JSON) and
``GET /api/v1/audit/export.csv`` for editors, admins and automation holding ``ADMIN_TOKEN``; ``/console/accounts``
for admins (add an account, unlock, disable, enable; ``assistant staff`` does the same from the command line).

The login form carries a CSRF token of its own (nobody has a session yet): a random value in the form and in a
short-lived cookie, compared when the form comes back. Reading the audit log is itself audited.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.auth import (
    COOKIE,
    LOGIN_PAGE,
    TOKEN_USER,
    AdminDep,
    EditorDep,
    OptionalStaffDep,
    client_ip,
    form_fields,
    set_session_cookie,
)
from api.deps import ConsoleDep, PagesDep, SettingsDep
from api.pages import Pages
from assistant.console import audit
from assistant.console import staff as accounts
from assistant.console.models import AuditEntry, utcnow
from assistant.console.staff import Staff

router = APIRouter()

HOME = "/console/inbox"  # where a login without a ``next`` lands
LOGIN_COOKIE = "zwzs_login"  # the login form's CSRF token (double submit)
LOGIN_FORM_SECONDS = 3600
PAGE_ROWS = 500  # the audit page shows the newest this many; the export has them all
PAGE_DAYS = 30  # the audit page without dates: the last this many days
API_LIMIT = 10_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def safe_next(target: str) -> str:
    """``target`` when it is a path on this site (not the login page itself), else the inbox: a link to the login
    page cannot send anyone elsewhere after logging in (no open redirect)."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.rstrip("/") == LOGIN_PAGE:
        return HOME
    return target


def _login_form(
    request: Request,
    pages: Pages,
    public_url: str,
    target: str,
    *,
    refused: str = "",
    username: str = "",
    status_code: int = 200,
) -> Response:
    """The form; ``refused`` says why the last try failed (the template words it): ``wrong`` (name or password),
    ``locked``, ``expired`` (the form's token), ``missing`` (a field left empty)."""
    token = secrets.token_urlsafe(24)
    context = {"staff": None, "active": "", "next": target, "form_token": token, "refused": refused}
    response = pages.render(request, "console_login.html", context | {"username": username}, status_code=status_code)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=LOGIN_FORM_SECONDS,
        httponly=True,
        samesite="strict",
        secure=public_url.startswith("https://"),
        path=LOGIN_PAGE,
    )
    return response


@router.get(
    "/console/login", summary="The staff login page (HTML)", response_class=HTMLResponse, tags=["staff accounts"]
)
async def login_page(
    request: Request,
    pages: PagesDep,
    settings: SettingsDep,
    member: OptionalStaffDep,
    next: Annotated[str, Query(max_length=2000, description="the local page to open after logging in")] = "",
) -> Response:
    """The form: 用户名, 密码; someone already logged in goes straight on to ``next``."""
    target = safe_next(next)
    if member is not None and member.username != TOKEN_USER:
        return RedirectResponse(target, status_code=303)
    return _login_form(request, pages, settings.server.public_url, target)


@router.post(
    "/console/login",
    summary="Log in from the login page (a form)",
    response_class=HTMLResponse,
    status_code=303,
    responses={401: {"description": "Wrong user name or password."}, 423: {"description": "Account locked."}},
    tags=["staff accounts"],
)
async def login_submit(request: Request, db: ConsoleDep, pages: PagesDep, settings: SettingsDep) -> Response:
    """Check the form's name and password: on success the session cookie and a redirect to ``next`` (a local
    path) or the inbox; otherwise the form again, saying why (401 wrong name or password, 423 locked)."""
    form = await form_fields(request)
    target = safe_next(form.get("next", ""))
    username, password = form.get("username", "").strip()[:64], form.get("password", "")[:1024]
    public_url = settings.server.public_url
    sent, kept = form.get("csrf_token", ""), request.cookies.get(LOGIN_COOKIE, "")
    if not sent or not kept or not secrets.compare_digest(sent.encode(), kept.encode()):
        return _login_form(request, pages, public_url, target, refused="expired", username=username, status_code=403)
    if not username or not password:
        return _login_form(request, pages, public_url, target, refused="missing", username=username, status_code=422)
    ip = client_ip(request)
    try:
        token, member = await asyncio.to_thread(accounts.login, db, username, password)
    except accounts.LoginRefused as refused:
        await asyncio.to_thread(audit.record, db, username, "", "login.refused", "", str(refused), ip)
        reason, status = ("locked", 423) if refused.locked else ("wrong", 401)
        return _login_form(request, pages, public_url, target, refused=reason, username=username, status_code=status)
    previous = request.cookies.get(COOKIE)
    if previous:  # someone else's session in this browser ends here
        await asyncio.to_thread(accounts.logout, db, previous)
    await asyncio.to_thread(audit.record, db, member.username, member.role, "login", "", "", ip)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, public_url)
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PAGE)
    return response


@router.post("/console/logout", summary="Log out (a form with csrf_token)", status_code=303, tags=["staff accounts"])
async def logout_submit(request: Request, db: ConsoleDep, member: OptionalStaffDep) -> Response:
    """End the session (the form's ``csrf_token`` must match it: 403 otherwise) and go to the login page."""
    token = request.cookies.get(COOKIE)
    if token:
        await asyncio.to_thread(accounts.logout, db, token)
    if member is not None and token:
        await asyncio.to_thread(audit.record, db, member.username, member.role, "logout", "", "", client_ip(request))
    response = RedirectResponse(LOGIN_PAGE, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- the audit log ---------------------------------------------------------------------------------------------


class AuditRow(BaseModel):
    """One audit entry; ``at`` in Beijing time."""

    at: datetime
    username: str
    role: str
    action: str
    target: str
    detail: str
    ip: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRow:
        return cls(
            at=entry.at.astimezone(audit.CHINA),
            **{column: getattr(entry, column) or "" for column in audit.COLUMNS[1:]},
        )


def parse_day(value: str, name: str) -> date | None:
    """A ``YYYY-MM-DD`` date of a query ("" or None: no limit).

    Raises:
        ValueError: anything else (the message names the parameter and the format).
    """
    if not value:
        return None
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"{name}: a date as YYYY-MM-DD, e.g. 2025-03-01 (got {value[:40]!r})")


def period(start: str, end: str) -> tuple[date | None, date | None]:
    """The days ``from`` and ``to`` of a query, both inclusive.

    Raises:
        ValueError: a malformed date, or ``from`` after ``to``.
    """
    first, last = parse_day(start, "from"), parse_day(end, "to")
    if first and last and first > last:
        raise ValueError(f"from ({first}) is after to ({last})")
    return first, last


async def _read(
    db: ConsoleDep,
    request: Request,
    member: Staff,
    action: str,
    first: date | None,
    last: date | None,
    limit: int | None,
) -> list[AuditEntry]:
    start, end = audit.day_range(first, last)
    rows = await asyncio.to_thread(audit.entries, db, start, end, limit)
    shown = f"{first or '…'} ~ {last or '…'}"
    await asyncio.to_thread(audit.record, db, member.username, member.role, action, "", shown, client_ip(request))
    return rows


FromQuery = Annotated[str, Query(alias="from", max_length=40, description="first day, YYYY-MM-DD (Beijing time)")]
ToQuery = Annotated[str, Query(alias="to", max_length=40, description="last day, YYYY-MM-DD, inclusive")]


@router.get(
    "/api/v1/audit",
    summary="The audit log (editors, admins, ADMIN_TOKEN)",
    response_model=list[AuditRow],
    responses={422: {"description": "A date that is not YYYY-MM-DD, or from after to."}},
    tags=["audit"],
)
async def audit_api(
    request: Request,
    member: EditorDep,
    db: ConsoleDep,
    start: FromQuery = "",
    end: ToQuery = "",
    limit: Annotated[int, Query(ge=1, le=API_LIMIT, description="at most this many, newest first")] = 1000,
) -> list[AuditRow]:
    """Who did what when, newest first: logins (refused ones too), lookups, handoffs, decisions, exports."""
    try:
        first, last = period(start, end)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return [AuditRow.of(row) for row in await _read(db, request, member, "audit.read", first, last, limit)]


@router.get(
    "/api/v1/audit/export.csv",
    summary="The audit log as CSV (UTF-8 with BOM, for Excel)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 422: {"description": "A malformed date."}},
    tags=["audit"],
)
async def audit_export(request: Request, member: EditorDep, db: ConsoleDep, start: FromQuery = "", end: ToQuery = ""):
    """Every entry of the period (no limit), with a header row: at, username, role, action, target, detail, ip."""
    try:
        first, last = period(start, end)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    rows = await _read(db, request, member, "audit.export", first, last, None)
    name = f"audit-{first or 'start'}-{last or 'now'}.csv"
    return Response(
        audit.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/console/audit", summary="The audit log page (HTML)", response_class=HTMLResponse, tags=["audit"])
async def audit_page(
    request: Request, member: EditorDep, db: ConsoleDep, pages: PagesDep, start: FromQuery = "", end: ToQuery = ""
) -> Response:
    """A table of the period's newest entries (the last 30 days by default) and the link to export them all."""
    context = {"staff": member, "active": "audit", "limit": PAGE_ROWS, "bad_dates": False}
    try:
        first, last = period(start, end)
    except ValueError:
        shown = {"start": start[:40], "end": end[:40], "rows": [], "more": False, "export": "", "bad_dates": True}
        return pages.render(request, "console_audit.html", context | shown, status_code=422)
    if not start and not end:
        last = datetime.now(audit.CHINA).date()
        first = date.fromordinal(last.toordinal() - PAGE_DAYS + 1)
    rows = await _read(db, request, member, "audit.read", first, last, PAGE_ROWS + 1)
    query = urlencode({k: v for k, v in (("from", first), ("to", last)) if v})
    shown = {
        "start": first.isoformat() if first else "",
        "end": last.isoformat() if last else "",
        "rows": [AuditRow.of(row) for row in rows[:PAGE_ROWS]],
        "more": len(rows) > PAGE_ROWS,
        "export": "/api/v1/audit/export.csv" + (f"?{query}" if query else ""),
    }
    return pages.render(request, "console_audit.html", context | shown)


# --- accounts (admins) -----------------------------------------------------------------------------------------

ACCOUNT_ACTIONS = ("unlock", "disable", "enable")


def _accounts_page(
    request: Request, pages: Pages, db: ConsoleDep, member: Staff, *, refused: str = "", status_code: int = 200
) -> Response:
    """The accounts table and the form to add one; ``refused`` is why the last change was refused (the ``code`` of
    an :class:`~assistant.console.staff.AccountError`, which the template words)."""
    now = utcnow()
    users = [
        {
            "username": user.username,
            "role": user.role,
            "disabled": user.disabled,
            "locked": user.locked_until is not None and user.locked_until > now,
            "created": user.created_at.astimezone(audit.CHINA),
        }
        for user in accounts.list_users(db)
    ]
    context = {"staff": member, "active": "accounts", "users": users, "roles": accounts.ROLES, "refused": refused}
    return pages.render(request, "console_accounts.html", context, status_code=status_code)


@router.get(
    "/console/accounts", summary="Staff accounts (HTML, admins)", response_class=HTMLResponse, tags=["staff accounts"]
)
async def accounts_page(request: Request, member: AdminDep, db: ConsoleDep, pages: PagesDep) -> Response:
    """Every account with its role and state, buttons to unlock, disable or enable it, and a form to add one."""
    return await asyncio.to_thread(_accounts_page, request, pages, db, member)


@router.post(
    "/console/accounts", summary="Add a staff account (a form, admins)", status_code=303, tags=["staff accounts"]
)
async def account_add(request: Request, member: AdminDep, db: ConsoleDep, pages: PagesDep) -> Response:
    """Fields ``username``, ``role``, ``password`` (at least 10 characters); the page again with the reason when
    refused (422)."""
    form = await form_fields(request)
    username, role = form.get("username", "").strip(), form.get("role", "")
    try:
        await asyncio.to_thread(accounts.add_user, db, username, role, form.get("password", ""))
    except accounts.AccountError as exc:
        return await asyncio.to_thread(_accounts_page, request, pages, db, member, refused=exc.code, status_code=422)
    await asyncio.to_thread(
        audit.record, db, member.username, member.role, "account.add", username, role, client_ip(request)
    )
    return RedirectResponse("/console/accounts", status_code=303)


@router.post(
    "/console/accounts/{username}/{action}",
    summary="Unlock, disable or enable a staff account (a form, admins)",
    status_code=303,
    tags=["staff accounts"],
)
async def account_change(
    username: str, action: str, request: Request, member: AdminDep, db: ConsoleDep, pages: PagesDep
) -> Response:
    """``action``: ``unlock``, ``disable`` (the account cannot log in, its sessions end) or ``enable``."""
    if action not in ACCOUNT_ACTIONS:
        raise HTTPException(404, f"no such account action: {action[:40]!r} (one of {', '.join(ACCOUNT_ACTIONS)})")
    if action == "disable" and username == member.username:
        raise HTTPException(409, "an admin cannot disable their own account")
    change = {
        "unlock": lambda: accounts.unlock(db, username),
        "disable": lambda: accounts.set_disabled(db, username, True),
        "enable": lambda: accounts.set_disabled(db, username, False),
    }[action]
    try:
        await asyncio.to_thread(change)
    except accounts.AccountError as exc:
        return await asyncio.to_thread(_accounts_page, request, pages, db, member, refused=exc.code, status_code=404)
    ip = client_ip(request)
    await asyncio.to_thread(audit.record, db, member.username, member.role, f"account.{action}", username, "", ip)
    return RedirectResponse("/console/accounts", status_code=303)
