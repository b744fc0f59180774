"""Staff authentication as a clerk, an editor and a script meet it: the login page (wrong passwords, lock-out, where
it leads), roles (a clerk cannot reach the editors' pages), CSRF on every state-changing request with a session
cookie, the audit log of every lookup (its API, CSV export and page) and the admin token for automation."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from staff_accounts import PASSWORD, add_staff, log_in

from api.app import create_app
from api.auth import EditorDep
from api.settings import AdminSettings, ServerSettings, Settings
from assistant.console import audit
from assistant.console.db import Database, console_database_url
from assistant.console.models import AuditEntry, StaffUser, utcnow
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue

TOKEN = "automation-token-for-tests"
HTML = {"accept": "text/html"}
ID_NUMBER = "11010519491231002X"


def make_app(bundled: Catalogue, data_dir: Path, public_url: str = "") -> FastAPI:
    settings = Settings(
        paths=PathSettings(data_dir=data_dir),
        admin=AdminSettings(token=TOKEN),
        server=ServerSettings(public_url=public_url),
    )
    app = create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())

    @app.post("/test-only/decide")  # a state-changing API for editors, as the console's are
    async def decide(member: EditorDep) -> dict[str, str]:
        return {"decided_by": member.username}

    return app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    add_staff(tmp_path, "clerk", "clerk")
    add_staff(tmp_path, "editor", "editor")
    return tmp_path


@pytest.fixture
def client(bundled: Catalogue, data_dir: Path) -> Iterator[TestClient]:
    with TestClient(make_app(bundled, data_dir), follow_redirects=False) as client:
        yield client


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database.open(console_database_url(data_dir))
    yield database
    database.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def submit_login(client: TestClient, username: str, password: str, next_path: str = ""):
    """Open the login page and submit its form, as a browser does."""
    page = client.get("/console/login", params={"next": next_path} if next_path else None, headers=HTML)
    assert page.status_code == 200
    fields = {"csrf_token": form_token(page.text), "next": next_path, "username": username, "password": password}
    return client.post("/console/login", data=fields, headers=HTML)


def audit_rows(client: TestClient, **params: str) -> list[dict]:
    response = client.get("/api/v1/audit", params=params, headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()


# --- the login page --------------------------------------------------------------------------------------------


def test_the_login_page_asks_for_name_and_password(client: TestClient) -> None:
    page = client.get("/console/login", headers=HTML)
    assert page.status_code == 200
    assert '<label for="username">用户名</label>' in page.text and '<label for="password">密码</label>' in page.text
    assert 'type="password"' in page.text and 'autocomplete="current-password"' in page.text
    assert '<link rel="stylesheet" href="/static/console.css">' in page.text


def test_a_wrong_password_is_refused_with_401_and_the_page_says_so(client: TestClient) -> None:
    response = submit_login(client, "clerk", "not the password")
    assert response.status_code == 401
    assert "用户名或密码错误" in text_of(response.text)
    assert 'value="clerk"' in response.text  # the name stays filled in
    unknown = submit_login(client, "nobody", PASSWORD)
    assert unknown.status_code == 401 and "用户名或密码错误" in text_of(unknown.text)
    assert client.get("/staff", headers=HTML).status_code == 303  # still nobody logged in
    api = client.post("/api/v1/auth/login", json={"username": "clerk", "password": "not the password"})
    assert api.status_code == 401 and api.json() == {"detail": "wrong user name or password"}


def test_five_wrong_passwords_lock_the_account_until_the_lock_ends(client: TestClient, db: Database) -> None:
    statuses = [submit_login(client, "clerk", f"wrong password {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = submit_login(client, "clerk", PASSWORD)  # the right password, while locked
    assert locked.status_code == 423
    assert "已被锁定" in text_of(locked.text) and "zwzs_staff" not in locked.headers.get("set-cookie", "")
    api = client.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert api.status_code == 423
    with db.session() as session:  # fifteen minutes pass
        session.execute(
            update(StaffUser).where(StaffUser.username == "clerk").values(locked_until=utcnow() - timedelta(seconds=1))
        )
    accepted = submit_login(client, "clerk", PASSWORD, "/staff")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/staff"
    assert client.get("/staff", headers=HTML).status_code == 200
    actions = [row["action"] for row in audit_rows(client) if row["username"] == "clerk"]
    assert actions[:3] == ["staff.search", "login", "login.refused"]
    assert actions.count("login.refused") == 7


def test_logging_in_leads_to_the_page_asked_for_and_nowhere_else(client: TestClient) -> None:
    wanted = "/staff?q=" + quote("出生")
    response = submit_login(client, "clerk", PASSWORD, wanted)
    assert response.status_code == 303 and response.headers["location"] == wanted
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=lax" in response.headers["set-cookie"]
    assert "Secure" not in response.headers["set-cookie"]  # this test server is plain http
    # logged in already: the login page goes straight on
    again = client.get("/console/login", params={"next": "/staff"}, headers=HTML)
    assert again.status_code == 303 and again.headers["location"] == "/staff"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "javascript:x", ""]
)
def test_a_login_link_cannot_send_anyone_off_the_site(client: TestClient, target: str) -> None:
    response = submit_login(client, "clerk", PASSWORD, target)
    assert response.status_code == 303 and response.headers["location"] == "/console/inbox"


def test_the_login_form_without_its_own_token_is_refused(client: TestClient) -> None:
    forged = client.post("/console/login", data={"username": "clerk", "password": PASSWORD}, headers=HTML)
    assert forged.status_code == 403
    assert "登录页面已过期" in text_of(forged.text)
    assert "zwzs_staff" not in forged.headers.get("set-cookie", "")


def test_the_session_cookie_is_secure_behind_https(bundled: Catalogue, data_dir: Path) -> None:
    app = make_app(bundled, data_dir, public_url="https://zwzs.example.gov.cn")
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = submit_login(client, "clerk", PASSWORD, "/staff")
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]
        assert client.get("/staff", headers=HTML).status_code == 200


# --- who may reach what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff", "/staff?q=sfz", "/staff/items/marriage-registration", "/console/audit"])
def test_pages_send_someone_not_logged_in_to_the_login_page(client: TestClient, path: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=" + quote(path, safe="")


@pytest.mark.parametrize("path", ["/staff/search?q=sfz", "/api/v1/audit", "/api/v1/audit/export.csv"])
def test_the_apis_answer_401_to_someone_not_logged_in(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("login required")


def test_a_clerk_cannot_read_the_audit_log(client: TestClient) -> None:
    log_in(client, "clerk")
    api = client.get("/api/v1/audit")
    assert api.status_code == 403
    assert api.json() == {"detail": "this needs the editor role; you are logged in as a clerk"}
    assert client.get("/api/v1/audit/export.csv").status_code == 403
    page = client.get("/console/audit", headers=HTML)
    assert page.status_code == 403
    assert "此页面仅限编辑和管理员查看" in text_of(page.text)
    assert client.post("/test-only/decide", headers={"X-CSRF-Token": "x"}).status_code == 403
    # and the lookup pages do not offer the editors' links
    lookup = client.get("/staff", headers=HTML).text
    assert 'href="/staff"' in lookup and 'href="/console/audit"' not in lookup


def test_an_editor_reads_the_audit_log(client: TestClient) -> None:
    log_in(client, "editor")
    assert client.get("/api/v1/audit").status_code == 200
    page = client.get("/console/audit", headers=HTML)
    assert page.status_code == 200 and 'href="/console/audit" aria-current="page"' in page.text


# --- CSRF ------------------------------------------------------------------------------------------------------


def test_logout_without_the_csrf_token_is_refused_and_with_it_ends_the_session(client: TestClient) -> None:
    submit_login(client, "clerk", PASSWORD)
    page = client.get("/staff", headers=HTML)
    assert page.status_code == 200 and "clerk（窗口人员）" in page.text
    refused = client.post("/console/logout", headers=HTML)  # the cookie goes with it; the form's token does not
    assert refused.status_code == 403 and "安全校验未通过" in text_of(refused.text)
    wrong = client.post("/console/logout", data={"csrf_token": "forged"}, headers=HTML)
    assert wrong.status_code == 403
    assert client.get("/staff", headers=HTML).status_code == 200  # still logged in
    done = client.post("/console/logout", data={"csrf_token": form_token(page.text)}, headers=HTML)
    assert done.status_code == 303 and done.headers["location"] == "/console/login"
    assert client.get("/staff", headers=HTML).status_code == 303
    assert [row["action"] for row in audit_rows(client)][:1] == ["logout"]


def test_json_posts_with_the_cookie_need_the_csrf_header(client: TestClient) -> None:
    session = log_in(client, "editor")
    refused = client.post("/test-only/decide")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF token missing or wrong: reload the page and try again"}
    assert client.post("/test-only/decide", headers={"X-CSRF-Token": "forged"}).status_code == 403
    done = client.post("/test-only/decide", headers={"X-CSRF-Token": session["csrf_token"]})
    assert done.status_code == 200 and done.json() == {"decided_by": "editor"}
    assert client.post("/api/v1/auth/logout").status_code == 403  # the JSON logout too
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": session["csrf_token"]}).status_code == 204
    assert client.post("/test-only/decide", headers={"X-CSRF-Token": session["csrf_token"]}).status_code == 401


def test_the_admin_token_needs_no_cookie_and_no_csrf(client: TestClient) -> None:
    bearer = {"authorization": f"Bearer {TOKEN}"}
    assert client.post("/test-only/decide", headers=bearer).json() == {"decided_by": "admin-token"}
    assert client.get("/api/v1/audit", headers={"authorization": "Bearer wrong"}).status_code == 401
    rows = client.get("/api/v1/audit", headers=bearer)
    assert rows.status_code == 200 and isinstance(rows.json(), list)
    assert audit_rows(client)[0]["username"] == "admin-token"  # the script's reading is audited too


# --- the audit log ---------------------------------------------------------------------------------------------


def test_every_lookup_is_in_the_audit_log_with_the_clerks_name(client: TestClient) -> None:
    log_in(client, "clerk")
    assert client.get("/staff", params={"q": "出生医学证明"}, headers=HTML).status_code == 200
    assert client.get("/staff/search", params={"q": f"身份证{ID_NUMBER}", "department": ""}).status_code == 200
    assert client.get("/staff/items/marriage-registration", headers=HTML).status_code == 200
    assert client.get("/staff/items/no-such-item", headers=HTML).status_code == 404
    lookups = [row for row in audit_rows(client) if row["action"].startswith("staff.")]
    assert [(row["username"], row["role"], row["action"]) for row in lookups] == [
        ("clerk", "clerk", "staff.item"),
        ("clerk", "clerk", "staff.item"),
        ("clerk", "clerk", "staff.search"),
        ("clerk", "clerk", "staff.search"),
    ]
    assert [row["target"] for row in lookups] == [
        "no-such-item",
        "marriage-registration",
        "身份证" + "*" * 18,
        "出生医学证明",
    ]
    assert lookups[0]["detail"] == "not found"
    assert all(row["ip"] == "testclient" and row["at"].endswith("+08:00") for row in lookups)


def test_the_audit_api_filters_by_whole_days(client: TestClient, db: Database) -> None:
    with db.session() as session:
        for day in (1, 2, 3):
            at = datetime(2025, 3, day, 12, tzinfo=audit.CHINA)
            session.add(AuditEntry(at=at, username="wang", role="clerk", action="staff.search", target=f"day {day}"))
    rows = audit_rows(client, **{"from": "2025-03-02", "to": "2025-03-03"})
    assert [row["target"] for row in rows] == ["day 3", "day 2"]
    assert [row["target"] for row in audit_rows(client, to="2025-03-01")] == ["day 1"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "2025/03/01"}, "from: a date as YYYY-MM-DD, e.g. 2025-03-01 (got '2025/03/01')"),
        ({"to": "2025-02-30"}, "to: a date as YYYY-MM-DD, e.g. 2025-03-01 (got '2025-02-30')"),
        ({"from": "yesterday"}, "from: a date as YYYY-MM-DD, e.g. 2025-03-01 (got 'yesterday')"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "from (2025-03-02) is after to (2025-03-01)"),
    ],
)
def test_a_bad_date_is_a_clear_422(client: TestClient, params: dict[str, str], says: str) -> None:
    bearer = {"authorization": f"Bearer {TOKEN}"}
    for path in ("/api/v1/audit", "/api/v1/audit/export.csv"):
        response = client.get(path, params=params, headers=bearer)
        assert response.status_code == 422 and response.json() == {"detail": says}
    log_in(client, "editor")
    page = client.get("/console/audit", params=params, headers=HTML)
    assert page.status_code == 422 and "日期有误：请按 年-月-日 填写" in text_of(page.text)


def test_the_export_opens_as_csv_with_its_header_row(client: TestClient) -> None:
    log_in(client, "clerk")
    client.get("/staff", params={"q": "护照"}, headers=HTML)
    log_in(client, "editor")
    today = datetime.now(audit.CHINA).date().isoformat()
    response = client.get("/api/v1/audit/export.csv", params={"from": today, "to": today})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="audit-{today}-{today}.csv"'
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["at", "username", "role", "action", "target", "detail", "ip"]
    search = next(row for row in rows if row["action"] == "staff.search")
    assert (search["username"], search["target"]) == ("clerk", "护照")
    assert audit_rows(client)[0]["action"] == "audit.export"  # exporting is audited


def test_the_audit_page_shows_the_entries_and_links_the_export(client: TestClient) -> None:
    log_in(client, "clerk")
    client.get("/staff/items/marriage-registration", headers=HTML)
    log_in(client, "editor")
    page = client.get("/console/audit", headers=HTML)
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "clerk 窗口人员 查看事项 marriage-registration" in shown
    today = datetime.now(audit.CHINA).date()
    first = (today - timedelta(days=29)).isoformat()
    assert f'href="/api/v1/audit/export.csv?from={first}&amp;to={today.isoformat()}"' in page.text
    assert f'value="{first}"' in page.text and f'value="{today.isoformat()}"' in page.text
    empty = client.get("/console/audit", params={"from": "2020-01-01", "to": "2020-01-31"}, headers=HTML)
    assert "2020-01-01 至 2020-01-31没有记录" in text_of(empty.text)
    assert audit_rows(client)[0]["action"] == "audit.read" and audit_rows(client)[0]["username"] == "admin-token"


# --- accounts (admins) -----------------------------------------------------------------------------------------


def test_an_admin_adds_unlocks_and_disables_accounts_on_the_accounts_page(client: TestClient, data_dir: Path) -> None:
    add_staff(data_dir, "admin", "admin")
    submit_login(client, "admin", PASSWORD)
    page = client.get("/console/accounts", headers=HTML)
    assert page.status_code == 200 and 'href="/console/accounts" aria-current="page"' in page.text
    token = form_token(page.text)
    short = client.post(
        "/console/accounts", data={"csrf_token": token, "username": "li", "role": "clerk", "password": "short"}
    )
    assert short.status_code == 422 and "初始密码至少 10 个字符" in text_of(short.text)
    added = client.post(
        "/console/accounts", data={"csrf_token": token, "username": "li", "role": "clerk", "password": PASSWORD}
    )
    assert added.status_code == 303 and added.headers["location"] == "/console/accounts"
    other = TestClient(client.app)  # li's own browser (the application already started by `client`)
    for _ in range(5):
        other.post("/api/v1/auth/login", json={"username": "li", "password": "not the password"})
    assert other.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD}).status_code == 423
    shown = text_of(client.get("/console/accounts", headers=HTML).text)
    assert "li 窗口人员 已锁定" in shown and "解锁 li" in shown
    assert client.post("/console/accounts/li/unlock", data={"csrf_token": token}).status_code == 303
    assert other.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD}).status_code == 200
    assert other.get("/staff", headers=HTML).status_code == 200
    assert client.post("/console/accounts/li/disable", data={"csrf_token": token}).status_code == 303
    assert other.get("/staff", headers=HTML, follow_redirects=False).status_code == 303  # the session ended
    assert other.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD}).status_code == 401
    assert "li 窗口人员 已停用" in text_of(client.get("/console/accounts", headers=HTML).text)
    assert client.post("/console/accounts/li/disable").status_code == 403  # no CSRF token
    assert client.post("/console/accounts/nobody/enable", data={"csrf_token": token}).status_code == 404
    actions = [(row["action"], row["target"]) for row in audit_rows(client) if row["action"].startswith("account.")]
    assert actions == [("account.disable", "li"), ("account.unlock", "li"), ("account.add", "li")]


def test_only_admins_reach_the_accounts_page(client: TestClient) -> None:
    log_in(client, "editor")
    page = client.get("/console/accounts", headers=HTML)
    assert page.status_code == 403 and "此页面仅限管理员查看" in text_of(page.text)
    assert 'href="/console/accounts"' not in client.get("/staff", headers=HTML).text
