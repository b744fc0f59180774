"""The staff login and the audit log in a real browser (Debian's chromium, driven by Playwright) at phone width:
a clerk asking for the lookup is sent to the login page, logs in (a wrong password first) and lands on the page
asked for; logging out, and a session that ended while the lookup was open; an editor reads the audit log and
exports it. WCAG 2.1 AA (axe-core), 44 px tap targets, nothing scrolling sideways."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from app_doubles import catalogue_app, serving
from axe import describe, serious_violations
from staff_accounts import PASSWORD, add_staff

from knowledge.catalogue import Catalogue

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 740}
TARGETS = "button, input:not([type=hidden]), .site-header a, .button-link"


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir, "clerk", "clerk")
    add_staff(data_dir, "editor", "editor")
    add_staff(data_dir, "admin", "admin")
    with serving(catalogue_app(bundled, data_dir)) as url:
        yield url


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", reduced_motion="reduce", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def check_layout(tab) -> None:
    """No serious axe violation, every target at least 44 px, nothing wider than the phone."""
    found = serious_violations(tab)
    assert not found, describe(found)
    measured = tab.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
             .filter((el) => el.getClientRects().length)
             .map((el) => [el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 20),
                           Math.min(el.getBoundingClientRect().height, el.getBoundingClientRect().width)])""",
        TARGETS,
    )
    assert len(measured) >= 4  # the header's links and buttons, the form's fields and button
    small = [target for target in measured if target[1] < 44]
    assert not small, small
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def log_in_on_the_page(tab, username: str, password: str) -> None:
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    with tab.expect_navigation():
        tab.get_by_role("button", name="登录").click()


def test_the_login_page_at_phone_width_leads_to_the_page_asked_for(tab, base_url: str) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{base_url}/staff?q=hz")
    assert tab.url == f"{base_url}/console/login?next=" + quote("/staff?q=hz", safe="")
    expect(tab.get_by_role("heading", level=1)).to_have_text("工作人员登录")
    expect(tab.get_by_label("用户名")).to_be_focused()
    check_layout(tab)

    log_in_on_the_page(tab, "clerk", "not the password")
    expect(tab.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(tab.get_by_label("用户名")).to_have_value("clerk")
    expect(tab.get_by_label("密码")).to_be_focused()  # the name is kept: the password is what to type again
    check_layout(tab)  # the page with its error message too

    log_in_on_the_page(tab, "clerk", PASSWORD)
    assert tab.url == f"{base_url}/staff?q=hz"
    expect(tab.locator("#results li .name").first).to_have_text("普通护照签发")
    expect(tab.locator(".console-logout .who")).to_have_text("clerk（窗口人员）")
    expect(tab.get_by_role("link", name="事项查询", exact=True)).to_have_attribute("aria-current", "page")
    expect(tab.get_by_role("link", name="审计日志")).to_have_count(0)  # a clerk's navigation

    with tab.expect_navigation():
        tab.get_by_role("button", name="退出").click()
    assert tab.url == f"{base_url}/console/login"
    tab.goto(f"{base_url}/staff")
    assert tab.url.startswith(f"{base_url}/console/login?next=")


def test_a_session_ended_while_searching_goes_to_the_login_page_and_back(tab, base_url: str) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{base_url}/console/login?next=/staff")
    log_in_on_the_page(tab, "clerk", PASSWORD)
    assert tab.url == f"{base_url}/staff"
    csrf = tab.locator(".console-logout input[name=csrf_token]").get_attribute("value")
    # logged out in another tab of the same browser
    assert tab.context.request.post(f"{base_url}/api/v1/auth/logout", headers={"X-CSRF-Token": csrf or ""}).ok
    tab.locator("#q").type("jhdj")
    tab.wait_for_url(f"{base_url}/console/login?next=" + quote("/staff?q=jhdj", safe=""))
    log_in_on_the_page(tab, "clerk", PASSWORD)
    assert tab.url == f"{base_url}/staff?q=jhdj"
    expect(tab.locator("#results li .name")).to_have_text(["内地居民结婚登记"])


def test_an_editor_reads_and_exports_the_audit_log_at_phone_width(browser, tab, base_url: str) -> None:
    from playwright.sync_api import expect

    clerk = browser.new_context(locale="zh-CN")
    try:
        clerk.request.post(f"{base_url}/api/v1/auth/login", data={"username": "clerk", "password": PASSWORD})
        assert clerk.request.get(f"{base_url}/staff/items/marriage-registration").ok
    finally:
        clerk.close()

    tab.goto(f"{base_url}/console/audit")
    log_in_on_the_page(tab, "editor", PASSWORD)
    assert tab.url == f"{base_url}/console/audit"
    row = tab.locator("table.audit tbody tr", has_text="marriage-registration").first
    expect(row).to_contain_text("clerk")
    expect(row).to_contain_text("查看事项")
    check_layout(tab)  # the wide table scrolls inside its own box

    with tab.expect_download() as download:
        tab.get_by_role("link", name="导出 CSV").click()
    saved = Path(download.value.path())
    content = saved.read_bytes()
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert any(r["username"] == "clerk" and r["target"] == "marriage-registration" for r in rows)

    tab.get_by_label("开始日期").fill("2020-02-01")
    tab.get_by_label("结束日期（含）").fill("2020-01-01")
    with tab.expect_navigation():
        tab.get_by_role("button", name="查询").click()
    expect(tab.get_by_role("alert")).to_contain_text("开始日期不能晚于结束日期")


def test_an_admin_adds_an_account_on_the_accounts_page_at_phone_width(tab, base_url: str) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{base_url}/console/accounts")
    log_in_on_the_page(tab, "admin", PASSWORD)
    assert tab.url == f"{base_url}/console/accounts"
    check_layout(tab)
    tab.get_by_label("用户名").fill("zhang")
    tab.get_by_label("角色").select_option(label="编辑")
    tab.get_by_label("初始密码（至少 10 个字符）").fill("a new colleague's passphrase")
    with tab.expect_navigation():
        tab.get_by_role("button", name="新增").click()
    expect(tab.locator("table.accounts tbody tr", has_text="zhang")).to_contain_text("编辑")
    expect(tab.get_by_role("button", name="停用 zhang")).to_be_visible()
    expect(tab.get_by_role("button", name="停用 admin")).to_have_count(0)  # not one's own account
