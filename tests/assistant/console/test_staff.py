"""Staff accounts (Argon2id passwords, lock-out, sessions), the audit log (masked, exportable, kept six months)
and the ``assistant staff`` commands a city's IT staff create accounts with."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from assistant.cli import app
from assistant.console import audit
from assistant.console import staff as accounts
from assistant.console.db import Database, console_database_url
from assistant.console.models import AuditEntry, StaffUser, utcnow

PASSWORD = "correct horse battery"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(console_database_url(tmp_path))
    yield database
    database.close()


def lift_lock(db: Database, username: str) -> None:
    """Fifteen minutes pass: the lock's end moved into the past (no sleeping)."""
    with db.session() as session:
        session.execute(
            update(StaffUser).where(StaffUser.username == username).values(locked_until=utcnow() - timedelta(seconds=1))
        )


# --- accounts --------------------------------------------------------------------------------------------------


def test_a_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    (user,) = accounts.list_users(db)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    token, member = accounts.login(db, "wang", PASSWORD)
    assert member == accounts.Staff("wang", "clerk", member.csrf_token) and len(member.csrf_token) >= 32
    assert accounts.resolve(db, token) == member
    assert accounts.resolve(db, token + "x") is None


@pytest.mark.parametrize(
    ("username", "role", "password", "says"),
    [
        ("wang", "clerk", "short", "at least 10 characters"),
        ("wang", "boss", PASSWORD, "role must be one of clerk, editor, admin"),
        ("王", "clerk", PASSWORD, "a user name is 2-64 letters"),
        ("w a", "clerk", PASSWORD, "a user name is 2-64 letters"),
    ],
)
def test_accounts_that_cannot_be_made_say_why(db: Database, username, role, password, says) -> None:
    with pytest.raises(accounts.AccountError, match=says):
        accounts.add_user(db, username, role, password)
    assert accounts.list_users(db) == []


def test_a_name_is_taken_once(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.add_user(db, "wang", "admin", PASSWORD)


def test_roles_nest() -> None:
    clerk, editor, admin = (accounts.Staff("x", role) for role in accounts.ROLES)
    assert clerk.can("clerk") and not clerk.can("editor") and not clerk.can("admin")
    assert editor.can("clerk") and editor.can("editor") and not editor.can("admin")
    assert admin.can("clerk") and admin.can("editor") and admin.can("admin")


def test_five_wrong_passwords_lock_the_account_until_the_lock_ends(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(accounts.LoginRefused) as refused:
            accounts.login(db, "wang", "not the password")
        assert not refused.value.locked
    with pytest.raises(accounts.LoginRefused) as refused:
        accounts.login(db, "wang", "not the password")
    assert refused.value.locked
    with pytest.raises(accounts.LoginRefused) as refused:
        accounts.login(db, "wang", PASSWORD)  # the right one, while locked
    assert refused.value.locked
    lift_lock(db, "wang")
    _token, member = accounts.login(db, "wang", PASSWORD)
    assert member.username == "wang"


def test_an_unknown_name_and_a_wrong_password_are_refused_alike(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    with pytest.raises(accounts.LoginRefused) as unknown:
        accounts.login(db, "li", PASSWORD)
    with pytest.raises(accounts.LoginRefused) as wrong:
        accounts.login(db, "wang", "not the password")
    assert str(unknown.value) == str(wrong.value)


def test_a_new_password_lifts_the_lock_and_ends_the_sessions(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    token, _member = accounts.login(db, "wang", PASSWORD)
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(accounts.LoginRefused):
            accounts.login(db, "wang", "not the password")
    accounts.set_password(db, "wang", "a brand new passphrase")
    assert accounts.resolve(db, token) is None
    with pytest.raises(accounts.LoginRefused):
        accounts.login(db, "wang", PASSWORD)
    assert accounts.login(db, "wang", "a brand new passphrase")[1].username == "wang"
    with pytest.raises(accounts.AccountError, match="no user 'li'"):
        accounts.set_password(db, "li", "a brand new passphrase")


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    token, _member = accounts.login(db, "wang", PASSWORD)
    accounts.set_disabled(db, "wang", True)
    assert accounts.resolve(db, token) is None
    with pytest.raises(accounts.LoginRefused):
        accounts.login(db, "wang", PASSWORD)
    accounts.set_disabled(db, "wang", False)
    assert accounts.login(db, "wang", PASSWORD)[1].username == "wang"


def test_a_session_ends_after_its_hours_and_at_logout(db: Database) -> None:
    accounts.add_user(db, "wang", "clerk", PASSWORD)
    expired, _member = accounts.login(db, "wang", PASSWORD, session_hours=-1)
    assert accounts.resolve(db, expired) is None
    token, _member = accounts.login(db, "wang", PASSWORD)
    accounts.logout(db, token)
    assert accounts.resolve(db, token) is None


# --- the audit log ---------------------------------------------------------------------------------------------


def entry_at(db: Database, at: datetime, action: str = "staff.search") -> None:
    with db.session() as session:
        session.add(AuditEntry(at=at, username="wang", role="clerk", action=action))


def test_an_entry_keeps_who_what_and_where_with_numbers_masked(db: Database) -> None:
    audit.record(db, "wang", "clerk", "staff.search", f"身份证 {ID_NUMBER}", "手机 13912345678", "10.0.0.7")
    (entry,) = audit.entries(db)
    assert (entry.username, entry.role, entry.action, entry.ip) == ("wang", "clerk", "staff.search", "10.0.0.7")
    assert entry.target.startswith("身份证 ") and ID_NUMBER not in entry.target
    assert "13912345678" not in entry.detail
    assert entry.at <= utcnow()


def test_a_day_range_covers_both_whole_days_in_beijing_time(db: Database) -> None:
    # 00:30 on 1 March in Beijing is still 28 February in UTC; 23:30 on 2 March Beijing is 2 March UTC
    inside = [datetime(2025, 3, 1, 0, 30, tzinfo=audit.CHINA), datetime(2025, 3, 2, 23, 30, tzinfo=audit.CHINA)]
    outside = [datetime(2025, 2, 28, 23, 59, tzinfo=audit.CHINA), datetime(2025, 3, 3, 0, 0, tzinfo=audit.CHINA)]
    for at in inside + outside:
        entry_at(db, at)
    start, end = audit.day_range(date(2025, 3, 1), date(2025, 3, 2))
    assert sorted(e.at for e in audit.entries(db, start, end)) == inside
    assert len(audit.entries(db, *audit.day_range(None, date(2025, 3, 2)))) == 3
    assert len(audit.entries(db, *audit.day_range(date(2025, 3, 1), None))) == 3


def test_the_export_is_csv_with_a_header_and_a_bom_and_no_formulas(db: Database) -> None:
    audit.record(db, "wang", "clerk", "staff.search", '=HYPERLINK("http://x","点我")', "出生登记, 户籍", "10.0.0.7")
    text = audit.to_csv(audit.entries(db))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["at", "username", "role", "action", "target", "detail", "ip"]
    formula = '\'=HYPERLINK("http://x","点我")'  # shown as text, not run
    assert rows[1][1:] == ["wang", "clerk", "staff.search", formula, "出生登记, 户籍", "10.0.0.7"]
    assert rows[1][0].endswith("+08:00")


def test_pruning_keeps_six_months(db: Database) -> None:
    now = utcnow()
    entry_at(db, now - timedelta(days=200), "old")
    entry_at(db, now - timedelta(days=100), "recent")
    with pytest.raises(ValueError, match="at least 184 days"):
        audit.prune(db, 30)
    assert audit.prune(db, 190, now=now) == 1
    assert [e.action for e in audit.entries(db)] == ["recent"]


# --- the command line ------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data directory the commands (and a server) use: ``ASSISTANT_DATA_DIR``."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def staff(*args: str, password: str | None = None):
    return runner.invoke(app, ["staff", *args], input=None if password is None else password + "\n")


def test_staff_add_reads_the_password_from_stdin_and_list_shows_the_account(data_dir: Path) -> None:
    added = staff("add", "admin", "--role", "admin", password=PASSWORD)
    assert added.exit_code == 0, added.output
    assert "admin added as admin" in added.stdout
    assert staff("add", "wang", "--role", "clerk", password="another passphrase").exit_code == 0
    listed = staff("list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "role", "state"]
    assert lines[1].split()[:3] == ["admin", "admin", "active"]
    assert lines[2].split()[:3] == ["wang", "clerk", "active"]
    assert "2 account(s)" in listed.stdout
    # the server's database: the password read from stdin logs in
    db = Database.open(console_database_url(data_dir))
    try:
        assert accounts.login(db, "admin", PASSWORD)[1].role == "admin"
    finally:
        db.close()


@pytest.mark.parametrize(
    ("args", "password", "says"),
    [
        (("add", "wang", "--role", "clerk"), "short", "at least 10 characters"),
        (("add", "wang", "--role", "clerk"), "", "at least 10 characters"),
        (("add", "wang", "--role", "superuser"), PASSWORD, "role must be one of clerk, editor, admin"),
        (("passwd", "nobody"), PASSWORD, "no user 'nobody'"),
        (("disable", "nobody"), None, "no user 'nobody'"),
    ],
)
def test_refused_input_exits_2_and_says_why(data_dir: Path, args, password, says) -> None:
    result = staff(*args, password=password)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "0 account(s)" in staff("list").stdout


def test_a_taken_name_exits_2(data_dir: Path) -> None:
    assert staff("add", "wang", "--role", "clerk", password=PASSWORD).exit_code == 0
    again = staff("add", "wang", "--role", "admin", password=PASSWORD)
    assert again.exit_code == 2 and "exists already" in again.stderr


def test_passwd_unlocks_and_disable_shows_in_the_list(data_dir: Path) -> None:
    assert staff("add", "wang", "--role", "clerk", password=PASSWORD).exit_code == 0
    db = Database.open(console_database_url(data_dir))
    try:
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(accounts.LoginRefused):
                accounts.login(db, "wang", "not the password")
        assert "locked until" in staff("list").stdout
        assert staff("passwd", "wang", password="a brand new passphrase").exit_code == 0
        assert "locked" not in staff("list").stdout
        assert accounts.login(db, "wang", "a brand new passphrase")[1].username == "wang"
        assert staff("disable", "wang").exit_code == 0
        assert staff("list").stdout.splitlines()[1].split()[:3] == ["wang", "clerk", "disabled"]
        with db.session() as session:
            assert session.scalar(select(StaffUser.disabled).where(StaffUser.username == "wang")) is True
        assert staff("enable", "wang").exit_code == 0
        assert accounts.login(db, "wang", "a brand new passphrase")[1].username == "wang"
    finally:
        db.close()
