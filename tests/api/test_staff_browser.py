"""The staff lookup in a real browser (Debian's chromium, driven by Playwright): keyboard-first search and the
scenario wizard, at desk and phone width."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from app_doubles import CatalogueHolder, FakeDialogue

from api.app import create_app
from api.settings import ServerSettings, Settings
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SIZES = {"desk": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(
        Settings(server=ServerSettings(port=port)), holder=CatalogueHolder(bundled), dialogue=FakeDialogue()
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the local server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(params=sorted(SIZES))
def page(browser, request):
    context = browser.new_context(viewport=SIZES[request.param], locale="zh-CN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors


def test_typing_initials_lists_items_and_the_keyboard_opens_one(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff")
    expect(page.locator("#q")).to_be_focused()  # the search box has the focus on arrival
    page.keyboard.type("hz")
    results = page.locator("#results li .name")
    expect(results.first).to_have_text("普通护照签发")
    expect(page.locator("#status")).to_contain_text("共")
    assert page.url.endswith("/staff?q=hz")  # the address follows the search (back button, sharing)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#results a").nth(1)).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/staff/items/ordinary-passport-reissue")


def test_enter_in_the_search_box_opens_the_best_match(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("jhdj")
    expect(page.locator("#results li .name")).to_have_text(["内地居民结婚登记"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/staff/items/marriage-registration")


def test_department_filter_narrows_the_list(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff")
    page.select_option("#department", "公安机关出入境管理部门")
    expect(page.locator("#results li")).to_have_count(5)


def test_wizard_asks_follow_ups_and_links_the_printable_notice(page, base_url: str, bundled: Catalogue) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/items/birth-registration")
    question = page.locator("#wizard-question")
    expect(question).to_have_text("父母是否已办理结婚登记？")
    page.get_by_label("未办理结婚登记（非婚生育）").check()
    page.locator("#wizard-form button[type=submit]").click()
    # the follow-up of the option chosen, not the one of the other option
    expect(question).to_have_text("非婚生育的孩子随父亲还是随母亲落户？")
    page.locator("#wizard-options input").first.check()
    page.keyboard.press("Enter")
    answers = {"parents_married": "no", "non_marital_settle_with": "father"}
    expect(page.locator("#wizard-answers > li")).to_have_count(len(answers))
    item = bundled.items["birth-registration"]
    while page.locator("#wizard-form").is_visible():
        asked = next(q for q in item.scenario if q.text == question.inner_text())
        answers[asked.id] = asked.options[0].id
        page.locator("#wizard-options input").first.check()
        page.locator("#wizard-form button[type=submit]").click()
        expect(page.locator("#wizard-answers > li")).to_have_count(len(answers))
    notice = build_notice(bundled, "birth-registration", answers)
    expect(page.locator("#wizard-result h3")).to_have_text("一次性告知单")
    expect(page.locator(".notice-materials > li")).to_have_count(len(notice.materials))
    expect(page.locator("#wizard-answers > li")).to_have_count(len(notice.answers))
    link = page.locator("#wizard-print")
    expect(link).to_have_text("打印告知单")
    with page.expect_navigation():
        link.click()
    assert "/notice/birth-registration?parents_married=no&non_marital_settle_with=father" in page.url
    expect(page.locator("h1")).to_have_text("一次性告知单")
    expect(page.locator("table.materials tbody tr")).to_have_count(len(notice.materials))


def test_changing_an_answer_drops_its_follow_ups(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/items/birth-registration")
    page.get_by_label("已办理结婚登记", exact=True).check()
    page.locator("#wizard-form button[type=submit]").click()
    expect(page.locator("#wizard-question")).to_have_text("孩子随父亲还是随母亲落户？")
    page.get_by_role("button", name="修改：父母是否已办理结婚登记？").click()
    expect(page.locator("#wizard-question")).to_have_text("父母是否已办理结婚登记？")
    expect(page.locator("#wizard-answers > li")).to_have_count(0)
