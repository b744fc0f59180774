"""The embeddable web chat widget, in a real browser (Debian's chromium, driven by Playwright) at phone width.

The main conversation runs on the real stack (``live_server``: `assistant serve` with the Rasa server and the
actions): it asks for 内地居民结婚登记's checklist, clicks the options the checklist engine says apply, and checks
the 一次性告知单 in the chat and on its printable page against the engine; a second real conversation checks that
重新开始 restarts it on the server too. The other browser tests (keyboard use, server errors, server text shown as
text) are unit-level tests of the widget: they run against ``chat_server``, the application over the bundled
catalogue (no index) with a scripted dialogue (``widget_harness``) behind ``/api/v1/chat``, where failures can be
injected. Accessibility (axe, reflow, tap targets, tel: links, 转人工) is in ``test_accessibility.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from app_doubles import serving
from fastapi.testclient import TestClient
from widget_harness import LINK_NAME, PUBLIC_URL, ask, open_widget, scripted_app

from api.routes.widget import STATIC_DIR
from assistant.dialogue.conversation import next_step, notice_in_chat
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

PHONE = {"width": 360, "height": 740}
QUESTION = "身份证丢了怎么补办"
CHECKLIST_REQUEST = "帮我生成结婚登记的材料清单"
ENTRY = "marriage-registration"
BUNDLE = "newborn-birth"
SCREENSHOTS = Path(__file__).parents[2] / "var" / "screenshots"
# married before, ended by a court (the follow-up it opens), name unchanged
CHOSEN = {"previous_marriage": "yes", "previous_marriage_end": "court_divorce", "marriage_name_changed": "no"}
REPLY_TIMEOUT_MS = 60_000  # a turn of the real stack on 2 shared cores
WELCOME = "您好，我是政务助手。"


@pytest.fixture(scope="module")
def chat_server(bundled: Catalogue) -> Iterator[str]:
    """The base URL of a server with ``/``, ``/widget.js`` and ``/api/v1/chat`` (no trailing slash)."""
    with serving(lambda port: scripted_app(bundled)) as url:
        yield url


# ---------------------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


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
    assert checklist_text == notice_in_chat(knowledge, notice)  # line breaks and all: the notice in short
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
    expect(users).to_have_count(0)  # a new conversation: "/restart" is sent, not shown
    expect(page.locator(".zwzs-message")).to_have_count(1)
    expect(page.locator(".zwzs-bot .zwzs-text").first).to_contain_text(WELCOME)
    expect(page.get_by_role("button", name="发送")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(".zwzs-message")).to_have_count(1)  # nothing but the welcome after the restart
    expect(page.get_by_role("link", name=LINK_NAME)).to_have_count(0)


@pytest.mark.slow
def test_a_bundles_notice_on_a_phone_opens_on_its_materials(page, live_server: str, holder):
    """On the real stack, at 375 px: a bundle's checklist answered by buttons; its 告知单 arrives in short (every
    material by name, at most 1,200 characters with its link) and the person sees its materials without
    scrolling up. The screenshot is left in var/screenshots/ for a look."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 375, "height": 740})
    knowledge = holder.current
    open_widget(page, live_server)
    ask(page, "帮我生成新生儿出生一件事的材料清单", REPLY_TIMEOUT_MS)
    answers: dict[str, str] = {}
    while not (step := next_step(knowledge, BUNDLE, answers)).done:
        asking = page.locator(".zwzs-bot", has=page.get_by_role("group", name="可选项")).last
        expect(asking.locator(".zwzs-text")).to_contain_text(step.question.text, timeout=REPLY_TIMEOUT_MS)
        expect(asking.locator(".zwzs-text")).to_contain_text(f"第{len(answers) + 1}题/共")  # where the person is
        first = step.question.options[0]
        asking.get_by_role("button", name=first.label, exact=True).click()
        answers[step.question.id] = first.id
        expect(page.locator(".zwzs-waiting")).to_have_count(0, timeout=REPLY_TIMEOUT_MS)

    link = page.get_by_role("link", name=LINK_NAME)
    expect(link).to_be_visible()
    notice = build_notice(knowledge.catalogue, BUNDLE, answers)
    said = page.locator(".zwzs-bot", has=link).locator(".zwzs-text")
    assert said.text_content() == notice_in_chat(knowledge, notice)
    assert len(said.text_content()) + len(link.get_attribute("href")) <= 1200
    # the notice's start (its name, 申请材料（共N项）, the first materials) is on screen: no scrolling up
    log = page.locator(".zwzs-log").bounding_box()
    top = said.bounding_box()["y"]
    line = said.evaluate("element => parseFloat(getComputedStyle(element).lineHeight)")
    assert log["y"] - 1 <= top and top + 4 * line <= log["y"] + log["height"], (log, top, line)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-bundle-notice-phone.png"))


@pytest.mark.slow
def test_restart_forgets_a_half_answered_checklist_on_the_real_stack(page, live_server: str, holder):
    """重新开始 restarts the server's conversation too (Rasa's /restart): a question asked next is answered, not
    taken for the checklist's next answer, and a checklist asked for again starts from its first question."""
    from playwright.sync_api import expect

    knowledge = holder.current
    box = open_widget(page, live_server)
    box.fill(CHECKLIST_REQUEST)
    box.press("Enter")
    first = next_step(knowledge, ENTRY, {}).question
    asking = page.locator(".zwzs-bot", has=page.get_by_role("group", name="可选项")).last
    expect(asking.locator(".zwzs-text")).to_contain_text(first.text, timeout=REPLY_TIMEOUT_MS)
    chosen = next(option for option in first.options if option.id == CHOSEN[first.id])
    asking.get_by_role("button", name=chosen.label, exact=True).click()
    following = next_step(knowledge, ENTRY, {first.id: chosen.id}).question
    expect(page.locator(".zwzs-bot .zwzs-text").last).to_contain_text(following.text, timeout=REPLY_TIMEOUT_MS)
    expect(page.get_by_role("button", name="发送")).to_be_enabled()

    page.get_by_role("button", name="重新开始对话").click()
    expect(page.locator(".zwzs-user")).to_have_count(0)
    expect(page.locator(".zwzs-bot .zwzs-text").first).to_contain_text(WELCOME)
    expect(page.get_by_role("button", name="发送")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(".zwzs-message")).to_have_count(1)  # the restart's silence is not answered with an apology

    box.fill("身份证丢了怎么办")
    box.press("Enter")
    expect(page.locator(".zwzs-waiting")).to_have_count(0, timeout=REPLY_TIMEOUT_MS)
    replies = page.locator(".zwzs-bot").filter(has_not_text=WELCOME)
    expect(replies.first).to_be_visible()
    said = " ".join(replies.locator(".zwzs-text").all_text_contents())
    assert "居民身份证补领" in said, said  # an answer about the ID card
    assert following.text not in said and first.text not in said, said  # not the marriage checklist going on
    titles = replies.get_by_role("button").all_text_contents()
    assert not {option.label for option in following.options} & set(titles), titles

    # asked for again: from its first question, nothing of the old answers kept
    ask(page, CHECKLIST_REQUEST, REPLY_TIMEOUT_MS)
    expect(page.locator(".zwzs-bot .zwzs-text").last).to_contain_text(first.text)


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


@pytest.mark.slow
@pytest.mark.parametrize("stored", [None, "web-3f1c9a2e-made-up-by-an-earlier-widget"])
def test_the_widget_keeps_the_sender_id_the_server_issues(page, chat_server: str, stored: str | None):
    """The first message goes without an id (or with the one an earlier widget made up); the id the answer carries
    is stored and sent from then on, 重新开始 included, and survives a reload."""
    from playwright.sync_api import expect

    if stored:
        page.add_init_script(
            f"localStorage.getItem('zwzs.sender_id') || localStorage.setItem('zwzs.sender_id', {stored!r})"
        )
    sent: list[dict] = []
    page.on(
        "request", lambda request: sent.append(request.post_data_json) if request.url.endswith("/api/v1/chat") else None
    )
    open_widget(page, chat_server)
    ask(page, QUESTION)
    issued = page.evaluate("localStorage.getItem('zwzs.sender_id')")
    assert re.fullmatch(r"w\.[\w-]{24}\.[\w-]{22}", issued) and issued != stored
    assert sent == [{"message": QUESTION} if stored is None else {"sender_id": stored, "message": QUESTION}]
    ask(page, "随便问问")
    bot = page.locator(".zwzs-bot .zwzs-text")
    expect(bot.last).to_contain_text("请先回答上面的问题")  # the server's checklist goes on: the same conversation
    page.get_by_role("button", name="重新开始对话").click()
    expect(page.get_by_role("button", name="发送")).to_be_enabled()
    page.reload()  # the panel opens again as it was
    ask(page, "随便问问")
    expect(bot.last).to_contain_text("抱歉，我暂时无法回答")  # that conversation was restarted, not another one
    assert [body.get("sender_id") for body in sent[1:]] == [issued] * 3
    assert page.evaluate("localStorage.getItem('zwzs.sender_id')") == issued


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
    assert said["hotline"] == "12345"  # the catalogue's hotline, made a tel: link wherever it is named
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
