"""The embeddable web chat widget, in a real browser (Debian's chromium, driven by Playwright) at phone width.

The main conversation runs on the real stack (``live_server``: `assistant serve` with the Rasa server and the
actions): it asks for 内地居民结婚登记's checklist, clicks the options the checklist engine says apply, and checks
the 一次性告知单 in the chat and on its printable page against the engine. The other browser tests (keyboard use,
server errors, server text shown as text) are unit-level tests of the widget: they run against ``chat_server``, the
application over the bundled catalogue (no index) with a scripted dialogue behind ``/api/v1/chat``, where
failures can be injected.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import uvicorn
from app_doubles import CatalogueHolder
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.dialogue import BotMessage, Button
from api.routes.widget import STATIC_DIR
from api.settings import ServerSettings, Settings
from assistant.dialogue.conversation import next_step
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
QUESTION = "身份证丢了怎么补办"
LINK_NAME = "打印/查看告知单"
CHECKLIST_REQUEST = "帮我生成结婚登记的材料清单"
ENTRY = "marriage-registration"
# married before, ended by a court (the follow-up it opens), name unchanged
CHOSEN = {"previous_marriage": "yes", "previous_marriage_end": "court_divorce", "marriage_name_changed": "no"}
PUBLIC_URL = "https://zwzs.example.gov.cn"
REPLY_TIMEOUT_MS = 60_000  # a turn of the real stack on 2 shared cores


# ---------------------------------------------------------------------------------------------------------------
# The scripted server of the widget's unit-level browser tests


class ScriptedChat:
    """A scripted stand-in for the dialogue: two 情形 questions, then the checklist with its printable link."""

    CHECKLIST = (
        "居民身份证补领 一次性告知单\n"
        "申请材料：\n"
        "1. 居民户口簿（原件，申请人自备）\n"
        "2. 近期免冠彩色照片（现场采集，免提交）\n"
        "办理地点：示例市公安局人口服务窗口（虚构示例）\n"
        "收费：工本费 20 元"
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        if "身份证" in message:
            return [
                BotMessage(
                    text="居民身份证丢失后，可以申请补领。\n请问您的户口在本市吗？",
                    buttons=[
                        Button(title="本市户口", payload='/answer{"residence":"local"}'),
                        Button(title="外地户口", payload='/answer{"residence":"other"}'),
                    ],
                )
            ]
        if message.startswith('/answer{"residence"'):
            return [
                BotMessage(
                    text="请问您本人能到现场办理吗？",
                    buttons=[
                        Button(title="本人办理", payload='/answer{"agent":"self"}'),
                        Button(title="委托他人", payload='/answer{"agent":"other"}'),
                    ],
                )
            ]
        if message.startswith('/answer{"agent"'):
            return [BotMessage(text=self.CHECKLIST, link="/notice/resident-id-card-replace?residence=local&agent=self")]
        if message == "重新开始":
            return [BotMessage(text="好的，我们重新开始。请问您要办理什么事？")]
        return [BotMessage(text="抱歉，我暂时无法回答这个问题。可以拨打 12345 政务服务便民热线。")]


def scripted_app(catalogue: Catalogue) -> FastAPI:
    settings = Settings(server=ServerSettings(public_url=PUBLIC_URL))
    return create_app(settings, holder=CatalogueHolder(catalogue), dialogue=ScriptedChat())


def serve_in_thread(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the local chat server did not start"
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def chat_server(bundled: Catalogue) -> Iterator[str]:
    """The base URL of a server with ``/``, ``/widget.js`` and ``/api/v1/chat`` (no trailing slash)."""
    url, server, thread = serve_in_thread(scripted_app(bundled))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


# ---------------------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        # never let Playwright download a browser: the system chromium only
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def open_widget(page, base_url: str):
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    launcher = page.get_by_role("button", name="打开政务助手，咨询办事问题")
    launcher.click()
    box = page.get_by_role("textbox", name="输入您的问题")
    expect(box).to_be_focused()
    return box


def font_size(locator) -> float:
    return locator.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")


@pytest.mark.slow
def test_a_real_checklist_at_phone_width_survives_a_reload(page, live_server: str, holder, tmp_path: Path):
    """On the real stack: ask for a checklist, pick options, get the engine's notice and its printable page."""
    from playwright.sync_api import expect

    knowledge = holder.current
    box = open_widget(page, live_server)
    panel = page.get_by_role("dialog", name="政务助手")
    bounds = panel.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    box.fill(CHECKLIST_REQUEST)
    box.press("Enter")  # the keyboard sends
    users = page.locator(".zwzs-user .zwzs-text")
    expect(users.last).to_have_text(CHECKLIST_REQUEST)

    # answer each 情形 question the checklist engine says applies, by clicking its button
    waiting = page.locator(".zwzs-waiting")
    answers: dict[str, str] = {}
    picked: list[str] = []
    while not (step := next_step(knowledge, ENTRY, answers)).done:
        expect(waiting).to_have_count(0, timeout=REPLY_TIMEOUT_MS)  # the answer has arrived
        question = step.question
        bots = page.locator(".zwzs-bot")
        asking = bots.nth(bots.count() - 1)  # pinned: after the click, .last is the next reply
        expect(asking.locator(".zwzs-text")).to_contain_text(question.text)
        options = asking.get_by_role("group", name="可选项").get_by_role("button")
        expect(options).to_have_text([option.label for option in question.options])
        chosen = next(o for o in question.options if o.id == CHOSEN.get(question.id, question.options[0].id))
        option = options.get_by_text(chosen.label, exact=True)
        expect(option).to_be_enabled()
        option.click()
        picked.append(chosen.label)
        answers[question.id] = chosen.id
        expect(users.last).to_have_text(chosen.label)  # the option's title is shown as the person's answer
        expect(option).to_be_disabled()  # an answered question cannot be answered twice
    assert answers == CHOSEN  # the follow-up was asked after the option that opens it
    expect(waiting).to_have_count(0, timeout=REPLY_TIMEOUT_MS)

    link = page.get_by_role("link", name=LINK_NAME)
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href.startswith(f"{live_server}/notice/{ENTRY}?")
    assert dict(parse_qsl(urlsplit(href).query)) == answers
    assert link.get_attribute("target") == "_blank"

    notice = build_notice(knowledge.catalogue, ENTRY, answers)
    checklist = page.locator(".zwzs-bot", has=link).locator(".zwzs-text")
    checklist_text = checklist.text_content()
    assert checklist_text == notice.to_text()  # line breaks and all
    assert checklist_text.startswith("一次性告知单：内地居民结婚登记")

    # the link opens the printable notice, listing the same materials
    with page.context.expect_page() as opened:
        link.click()
    printable = opened.value
    printable.wait_for_load_state()
    assert printable.url == href
    expect(printable.get_by_role("heading", name="一次性告知单", level=1)).to_be_visible()
    expect(printable.locator(".notice-name")).to_have_text(notice.name)
    cells = printable.locator("table.materials tbody tr td:nth-child(2)").all_text_contents()
    listed = [cell.strip().removesuffix("非必需") for cell in cells]
    assert listed == [material.name for material in notice.materials]
    assert all(name in checklist_text for name in listed)
    printable.close()

    # large text for older people: bigger letters, remembered
    large = page.get_by_role("button", name="大字模式")
    normal_size = font_size(checklist)
    large.click()
    expect(large).to_have_attribute("aria-pressed", "true")
    assert font_size(checklist) >= normal_size * 1.25
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.reload()
    expect(page.get_by_role("dialog", name="政务助手")).to_be_visible()
    expect(users.first).to_have_text(CHECKLIST_REQUEST)
    expect(users).to_have_count(1 + len(picked))
    for index, title in enumerate(picked, start=1):
        expect(users.nth(index)).to_have_text(title)
    restored = page.locator(".zwzs-bot", has=page.get_by_role("link", name=LINK_NAME)).locator(".zwzs-text")
    expect(restored).to_have_count(1)
    assert restored.text_content() == checklist_text
    assert page.get_by_role("link", name=LINK_NAME).get_attribute("href") == href
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert font_size(page.locator(".zwzs-text").last) >= normal_size * 1.25

    screenshot = tmp_path / "widget-360px.png"
    page.screenshot(path=str(screenshot))
    print(f"screenshot of the widget at 360 px: {screenshot}")
    assert screenshot.stat().st_size > 0

    page.get_by_role("button", name="重新开始对话").click()
    expect(users).to_have_count(1)
    expect(users.first).to_have_text("重新开始")
    expect(waiting).to_have_count(0, timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_role("link", name=LINK_NAME)).to_have_count(0)


@pytest.mark.slow
def test_keyboard_only_use(page, chat_server: str):
    from playwright.sync_api import expect

    page.goto(chat_server + "/")
    launcher = page.get_by_role("button", name="打开政务助手，咨询办事问题")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="政务助手")).to_be_visible()
    box = page.get_by_role("textbox", name="输入您的问题")
    expect(box).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    option = page.get_by_role("group", name="可选项").last.get_by_role("button").first
    expect(option).to_be_enabled(timeout=15_000)
    expect(box).to_be_focused()  # a typed question keeps the keyboard in the box
    option.focus()
    title = option.inner_text()
    page.keyboard.press("Enter")
    expect(page.locator(".zwzs-user .zwzs-text").last).to_have_text(title)
    page.keyboard.press("Escape")  # at once, while the answer may still be on its way
    expect(page.get_by_role("dialog", name="政务助手")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    launcher.press("Enter")
    next_option = page.get_by_role("group", name="可选项").last.get_by_role("button").first
    expect(next_option).not_to_have_text(title)
    expect(next_option).to_be_enabled()
    page.get_by_role("group", name="可选项").last.get_by_role("button").nth(1).focus()
    page.keyboard.press("Enter")
    # a picked option leads the keyboard to the next question's options, or to the box when there are none
    expect(page.locator(".zwzs-waiting")).to_have_count(0, timeout=15_000)
    page.wait_for_function(
        """() => {
            const active = document.getElementById("zwzs-widget").shadowRoot.activeElement;
            return active && ((active.matches(".zwzs-option") && !active.disabled) || active.matches(".zwzs-input"));
        }""",
        timeout=5_000,
    )
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="政务助手")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


@pytest.mark.slow
def test_server_errors_and_an_unreachable_server_are_explained(page, chat_server: str):
    from playwright.sync_api import expect

    box = open_widget(page, chat_server)
    page.route("**/api/v1/chat", lambda route: route.fulfill(status=503, body="Service Unavailable"))
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.get_by_role("alert").last).to_contain_text("错误代码 503")
    expect(page.get_by_role("alert").last).to_contain_text("12345")

    page.unroute("**/api/v1/chat")
    page.route("**/api/v1/chat", lambda route: route.abort("connectionrefused"))
    box.fill("结婚登记要带什么")
    box.press("Enter")
    expect(page.get_by_role("alert").last).to_contain_text("无法连接到政务助手")
    expect(page.get_by_role("button", name="发送")).to_be_enabled()


@pytest.mark.slow
def test_server_text_is_shown_as_text_never_as_markup(page, chat_server: str):
    from playwright.sync_api import expect

    hostile = {
        "messages": [
            {
                "text": '<img src=x onerror="window.__injected = 1">注意<b>不是粗体</b>',
                "buttons": [{"title": "<i>选项</i>", "payload": "/x"}],
                "link": "javascript:window.__injected = 2",
            }
        ]
    }
    box = open_widget(page, chat_server)
    page.route(
        "**/api/v1/chat",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)),
    )
    box.fill("测试")
    box.press("Enter")
    bubble = page.locator(".zwzs-bot .zwzs-text").last
    expect(bubble).to_have_text('<img src=x onerror="window.__injected = 1">注意<b>不是粗体</b>')
    expect(page.get_by_role("button", name="<i>选项</i>")).to_be_visible()
    expect(page.get_by_role("link", name=LINK_NAME)).to_have_count(0)  # a javascript: link is dropped
    assert page.locator(".zwzs-log img").count() == 0
    assert page.evaluate("window.__injected") is None


# ---------------------------------------------------------------------------------------------------------------
# The widget's routes (no browser)


@pytest.fixture
def widget_client(bundled: Catalogue) -> Iterator[TestClient]:
    with TestClient(scripted_app(bundled)) as client:
        yield client


def test_widget_script_is_served_as_javascript_with_a_short_cache(widget_client: TestClient):
    response = widget_client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    said = json.loads(re.search(r"var SAID = (\{.*?\});", response.text).group(1))  # from replies.yaml
    assert said["welcome"].startswith("您好，我是政务助手。") and "12345 政务服务便民热线" in said["welcome"]
    assert response.headers["cache-control"] == "public, max-age=300"
    again = widget_client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_widget_stylesheet_is_served_as_css(widget_client: TestClient):
    response = widget_client.get("/widget.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_the_demo_page_embeds_the_widget_and_escapes_the_snippet(widget_client: TestClient):
    page = widget_client.get("/")
    assert page.status_code == 200
    assert '<script src="/widget.js" defer></script>' in page.text
    assert f"&lt;script src=&#34;{PUBLIC_URL}/widget.js&#34; defer&gt;&lt;/script&gt;" in page.text
    assert "一次性告知单" in page.text


def test_the_widget_never_writes_markup_from_data():
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    assert "innerHTML" not in source
    assert "insertAdjacentHTML" not in source
    assert "document.write" not in source
