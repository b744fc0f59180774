"""Staff accounts, their passwords (Argon2id, argon2-cffi) and login sessions, with lock-out after repeated
failures.

Roles nest: a ``clerk`` answers handoffs and looks items up; an ``editor`` also works the unanswered queue and
reads analytics and the audit log; an ``admin`` also manages accounts. A session is a random token in a cookie;
the database keeps only its SHA-256 (a copy of the table logs nobody in), with the CSRF token forms and API
calls from the pages must echo.

Example:
    >>> add_user(db, "wang", "clerk", "a long passphrase")          # doctest: +SKIP
    >>> token, staff = login(db, "wang", "a long passphrase")       # doctest: +SKIP
    >>> resolve(db, token).role                                     # doctest: +SKIP
    'clerk'
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from assistant.console.db import Database
from assistant.console.models import StaffSession, StaffUser, utcnow

ROLES = ("clerk", "editor", "admin")  # each role can do what the ones before it can
MIN_PASSWORD = 10
MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCK_MINUTES = 15
SESSION_HOURS = 8  # one working day
LOCKED = f"account locked after {MAX_FAILURES} wrong passwords; try again later"
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 "low memory" profile
_DUMMY_HASH = _hasher.hash("a password nobody has")  # verified against for unknown names: the same time taken


class AccountError(ValueError):
    """An account that cannot be created or changed as asked: the message says why, ``code`` is what a page words
    (``name``, ``role``, ``password``, ``taken``, ``unknown``)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class LoginRefused(Exception):
    """A login refused; ``locked`` when the account is locked (the message says until when, without saying
    whether the name exists)."""

    def __init__(self, message: str, locked: bool = False):
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class Staff:
    """A logged-in member of staff (or the automation holding ``ADMIN_TOKEN``)."""

    username: str
    role: str
    csrf_token: str = ""

    def can(self, role: str) -> bool:
        """True when this member's role includes ``role`` (an admin can do what an editor and a clerk can)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def add_user(db: Database, username: str, role: str, password: str) -> Staff:
    """Create an account.

    Raises:
        AccountError: the name is taken or malformed, the role unknown, or the password shorter than
            ``MIN_PASSWORD``.
    """
    if not USERNAME.match(username):
        raise AccountError("a user name is 2-64 letters, digits, '.', '_' or '-'", "name")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters", "password")
    with db.session() as session:
        if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
            raise AccountError(f"user {username!r} exists already", "taken")
        session.add(StaffUser(username=username, role=role, password_hash=_hasher.hash(password)))
    return Staff(username, role)


def set_password(db: Database, username: str, password: str) -> None:
    """Give an account a new password; it also lifts a lock-out and ends the account's sessions.

    Raises:
        AccountError: no such account, or the password is shorter than ``MIN_PASSWORD``.
    """
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters", "password")
    with db.session() as session:
        user = _user(session, username)
        user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def set_disabled(db: Database, username: str, disabled: bool) -> None:
    """Disable an account (it cannot log in, its sessions end) or enable it again (which also lifts a lock-out).

    Raises:
        AccountError: no such account.
    """
    with db.session() as session:
        user = _user(session, username)
        user.disabled = disabled
        user.failed_logins = 0
        user.locked_until = None
        if disabled:
            session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def unlock(db: Database, username: str) -> None:
    """Lift a lock-out now (an admin who knows it is the member of staff who mistyped).

    Raises:
        AccountError: no such account.
    """
    with db.session() as session:
        user = _user(session, username)
        user.failed_logins = 0
        user.locked_until = None


def _user(session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}; `assistant staff list` shows the accounts", "unknown")
    return user


def list_users(db: Database) -> list[StaffUser]:
    """Every account, by name."""
    with db.session() as session:
        return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def login(db: Database, username: str, password: str, session_hours: float = SESSION_HOURS) -> tuple[str, Staff]:
    """Check a name and password and open a session.

    Returns:
        The session token (for the cookie) and the member of staff.

    Raises:
        LoginRefused: a wrong name or password (the same message for both), or a locked account.
    """
    now = utcnow()
    refused: LoginRefused | None = None
    with db.session() as session:  # a refusal is raised after the block: the count of failures must be committed
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None or user.disabled:
            _verify(_DUMMY_HASH, password)
            refused = LoginRefused("wrong user name or password")
        elif user.locked_until is not None and user.locked_until > now:
            refused = LoginRefused(LOCKED, locked=True)
        elif not _verify(user.password_hash, password):
            user.failed_logins += 1
            refused = LoginRefused("wrong user name or password")
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
                refused = LoginRefused(LOCKED, locked=True)
        else:
            user.failed_logins = 0
            user.locked_until = None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            session.add(
                StaffSession(
                    token_hash=_digest(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    expires_at=now + timedelta(hours=session_hours),
                )
            )
            member = Staff(user.username, user.role, csrf)
    if refused is not None:
        raise refused
    return token, member


def resolve(db: Database, token: str) -> Staff | None:
    """The member of staff a session token belongs to; None when it is unknown, expired or the account disabled."""
    if not token:
        return None
    with db.session() as session:
        row = session.get(StaffSession, _digest(token))
        if row is None or row.expires_at <= utcnow():
            return None
        user = session.get(StaffUser, row.user_id)
        if user is None or user.disabled:
            return None
        return Staff(user.username, user.role, row.csrf_token)


def logout(db: Database, token: str) -> None:
    """End a session (and drop every expired one)."""
    with db.session() as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
        session.execute(delete(StaffSession).where(StaffSession.expires_at <= utcnow()))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
