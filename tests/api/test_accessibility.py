"""The chat widget is accessible and elderly-friendly: WCAG 2.1 AA (axe-core) and the 适老化 rules for public
services (大字 mode text >= 18 px with line spacing >= 1.3, tap targets >= 44 px and >= 60 px in the 大字 mode,
reflow at 320 px and at 200 % zoom), tel: links, a visible 转人工 button, 重新开始 restarting the conversation on
the server, and an answer shown from its start.

These run in Debian's Chromium against the application with a scripted dialogue (``widget_harness``); the same
restart on the real stack is in ``test_browser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_doubles import serving
from axe import describe, serious_violations
from widget_harness import (
    HANDOFF,
    INPUT,
    LAUNCHER,
    LINK_NAME,
    LONG_NOTICE_REQUEST,
    PHONES,
    PHONES_REQUEST,
    ScriptedChat,
    ask,
    open_widget,
    scripted_app,
)

from knowledge.catalogue import Catalogue

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
QUESTION = "身份证丢了怎么办"  # the scripted server answers with a 情形 question and two option buttons
HEADER_BUTTONS = ["大字模式", "重新开始对话", "转人工服务", "关闭政务助手"]
MIN_TARGET, MIN_TARGET_LARGE = 44, 60


@pytest.fixture(scope="module")
def chat() -> ScriptedChat:
    return ScriptedChat()


@pytest.fixture(scope="module")
def chat_server(bundled: Catalogue, chat: ScriptedChat) -> Iterator[str]:
    with serving(lambda port: scripted_app(bundled, chat)) as url:
        yield url


@pytest.fixture
def new_page(browser):
    """Make a page of a given viewport (and device scale); each in its own context, so nothing is remembered
    between tests. Fails the test on any script error of the page."""
    contexts, errors = [], []

    def make(viewport: dict, scale: float = 1, reduced_motion: str = "reduce"):
        # axe measures colours as painted: no fade-in animation under way while it looks
        context = browser.new_context(
            viewport=viewport, device_scale_factor=scale, locale="zh-CN", reduced_motion=reduced_motion
        )
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        return tab

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors


def set_large(page, large: bool) -> None:
    from playwright.sync_api import expect

    toggle = page.get_by_role("button", name="大字模式")
    if (toggle.get_attribute("aria-pressed") == "true") != large:
        toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true" if large else "false")


def within(box: dict, viewport: dict) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
    )


OVERFLOW = """() => {
    const shadow = document.getElementById("zwzs-widget").shadowRoot;
    const wide = [".zwzs-panel", ".zwzs-header", ".zwzs-log", ".zwzs-form"]
        .map(selector => shadow.querySelector(selector))
        .filter(node => node.scrollWidth > node.clientWidth + 1)
        .map(node => node.className);
    if (document.documentElement.scrollWidth > window.innerWidth) wide.push("page");
    return wide;
}"""


# ---------------------------------------------------------------------------------------------------------------
# axe-core: no serious or critical WCAG 2.1 A/AA violation


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280px", "375px"])
def test_axe_finds_no_serious_violation_closed_open_and_mid_checklist(new_page, chat_server: str, viewport: dict):
    from playwright.sync_api import expect

    page = new_page(viewport)
    page.goto(chat_server + "/")
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()  # the widget is there to be checked
    found = serious_violations(page)
    assert not found, "widget closed:\n" + describe(found)

    open_widget(page, chat_server)
    found = serious_violations(page)
    assert not found, "widget open:\n" + describe(found)

    ask(page, QUESTION)
    options = page.get_by_role("group", name="可选项").last.get_by_role("button")
    expect(options).to_have_text(["本市户口", "外地户口"])
    found = serious_violations(page)
    assert not found, "a 情形 question with its options:\n" + describe(found)

    options.first.click()  # the answered question's buttons are disabled, the next ones active
    expect(page.get_by_role("button", name="本人办理")).to_be_enabled()
    expect(page.get_by_role("button", name="本市户口")).to_be_disabled()
    set_large(page, True)
    found = serious_violations(page)
    assert not found, "mid-checklist in the 大字 mode:\n" + describe(found)

    ask(page, LONG_NOTICE_REQUEST)  # the notice with its printable link, and a phone number in the welcome
    expect(page.get_by_role("link", name=LINK_NAME)).to_be_visible()
    found = serious_violations(page)
    assert not found, "a 告知单 with its link:\n" + describe(found)


def test_the_disabled_options_of_an_answered_question_stay_readable(new_page, chat_server: str):
    """axe leaves disabled buttons out of its contrast check: the widget keeps them at 4.5:1 all the same."""
    from playwright.sync_api import expect

    page = new_page(PHONE)
    open_widget(page, chat_server)
    ask(page, QUESTION)
    page.get_by_role("button", name="本市户口").click()
    answered = page.get_by_role("button", name="外地户口")
    expect(answered).to_be_disabled()
    ratio = answered.evaluate(
        """element => {
            const rgb = text => text.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => [r, g, b]
                .map(c => c / 255)
                .map(c => c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4))
                .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
            const style = getComputedStyle(element);
            const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) * Number(style.opacity);
        }"""
    )
    assert ratio >= 4.5


# ---------------------------------------------------------------------------------------------------------------
# Reflow: 320 px, and 1280 px at 200 % zoom


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [({"width": 320, "height": 568}, 1), ({"width": 640, "height": 360}, 2)],
    ids=["320px", "1280x720-at-200%"],
)
@pytest.mark.parametrize("large", [False, True], ids=["normal", "大字"])
def test_the_open_widget_reflows_its_header_and_input_stay_on_screen(
    new_page, chat_server: str, viewport: dict, scale: float, large: bool
):
    from playwright.sync_api import expect

    page = new_page(viewport, scale)
    open_widget(page, chat_server)
    set_large(page, large)
    ask(page, QUESTION)
    ask(page, LONG_NOTICE_REQUEST)

    title = page.get_by_role("dialog", name="政务助手").get_by_role("heading", name="政务助手")
    expect(title).to_be_visible()
    assert within(title.bounding_box(), viewport), "the title is off screen"
    for name in HEADER_BUTTONS:
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        assert within(button.bounding_box(), viewport), f"{name} is off screen: {button.bounding_box()}"
    for control in (page.get_by_role("textbox", name=INPUT), page.get_by_role("button", name="发送")):
        expect(control).to_be_visible()
        assert within(control.bounding_box(), viewport), f"{control} is off screen: {control.bounding_box()}"
    for option in page.locator(".zwzs-option").all():
        box = option.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, option.inner_text()
    log = page.get_by_role("log").bounding_box()
    assert log["height"] >= 100, "no room left to read the conversation"
    assert page.evaluate(OVERFLOW) == [], "something scrolls sideways"

    # what is typed can still be sent
    box = page.get_by_role("textbox", name=INPUT)
    box.fill("转人工")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".zwzs-user .zwzs-text").last).to_have_text("转人工")


# ---------------------------------------------------------------------------------------------------------------
# Tap targets and text size: >= 44 px, and in the 大字 mode >= 60 px with text >= 18 px


TARGETS = """() => {
    const shadow = document.getElementById("zwzs-widget").shadowRoot;
    return [...shadow.querySelectorAll("button, .zwzs-link, input")]
        .filter(node => node.getClientRects().length)
        .map(node => {
            const box = node.getBoundingClientRect();
            return {name: node.getAttribute("aria-label") || node.textContent, width: box.width, height: box.height};
        });
}"""


def test_every_tap_target_is_at_least_44_px_and_60_px_in_the_large_mode(new_page, chat_server: str):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    page.goto(chat_server + "/")
    launcher = page.get_by_role("button", name=LAUNCHER).bounding_box()
    assert launcher["width"] >= MIN_TARGET and launcher["height"] >= MIN_TARGET

    open_widget(page, chat_server)
    ask(page, LONG_NOTICE_REQUEST)  # a printable link and three buttons
    ask(page, QUESTION)  # two option buttons
    expect(page.get_by_role("link", name=LINK_NAME)).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))

    normal_text = page.locator(".zwzs-text").last
    normal_size = float(normal_text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    targets = page.evaluate(TARGETS)
    names = {target["name"] for target in targets}
    assert {*HEADER_BUTTONS, "发送", "本市户口", "外地户口", "完整材料", INPUT} <= names
    assert any(LINK_NAME in name for name in names)
    small = [t for t in targets if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET]
    assert not small, f"smaller than {MIN_TARGET} px: {small}"

    set_large(page, True)
    targets = page.evaluate(TARGETS)
    small = [t for t in targets if t["width"] < MIN_TARGET_LARGE or t["height"] < MIN_TARGET_LARGE]
    assert not small, f"smaller than {MIN_TARGET_LARGE} px in the 大字 mode: {small}"
    sizes = page.locator(".zwzs-text").evaluate_all(
        """nodes => nodes.map(node => {
            const style = getComputedStyle(node);
            return [parseFloat(style.fontSize), parseFloat(style.lineHeight) / parseFloat(style.fontSize)];
        })"""
    )
    assert all(size >= 18 and spacing >= 1.3 for size, spacing in sizes), sizes
    assert sizes[-1][0] >= normal_size * 1.2
    assert page.evaluate(OVERFLOW) == []

    page.get_by_role("button", name="关闭政务助手").click()
    launcher = page.get_by_role("button", name=LAUNCHER).bounding_box()
    assert launcher["width"] >= MIN_TARGET_LARGE and launcher["height"] >= MIN_TARGET_LARGE


def test_the_keyboard_focus_is_always_visible(new_page, chat_server: str):
    from playwright.sync_api import expect

    page = new_page(DESK)
    page.goto(chat_server + "/")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name=INPUT)).to_be_focused()
    seen = []
    # back: the welcome's 12345, the log, 关闭, 转人工, 重新开始, 大字; forward again to 发送
    for key in ["Shift+Tab"] * 6 + ["Tab"] * 7:
        page.keyboard.press(key)
        seen.append(
            page.evaluate(
                """() => {
                    const active = document.getElementById("zwzs-widget").shadowRoot.activeElement;
                    const style = getComputedStyle(active);
                    return [active.getAttribute("aria-label") || active.textContent.slice(0, 8),
                            style.outlineStyle, parseFloat(style.outlineWidth)];
                }"""
            )
        )
    names = [name for name, _, _ in seen]
    assert {*HEADER_BUTTONS, "对话记录", "拨打电话 12345", "发送"} <= set(names), names
    hidden = [(name, style, width) for name, style, width in seen if style == "none" or width < 2]
    assert not hidden, hidden


# ---------------------------------------------------------------------------------------------------------------
# What the widget does for an older person


def test_phone_numbers_are_tel_links_and_markup_stays_text(new_page, chat_server: str):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    open_widget(page, chat_server)
    welcome = page.locator(".zwzs-bot").first
    expect(welcome.get_by_role("link", name="12345")).to_have_attribute("href", "tel:12345")

    ask(page, PHONES_REQUEST)
    reply = page.locator(".zwzs-bot").last
    links = reply.get_by_role("link")
    expect(links).to_have_text(["010-12345678", "0755-8765 4321", "400-123-4567", "13912345678"])
    hrefs = [link.get_attribute("href") for link in links.all()]
    assert hrefs == ["tel:01012345678", "tel:075587654321", "tel:4001234567", "tel:13912345678"]
    expect(reply.locator(".zwzs-text")).to_have_text(PHONES)  # every character of the server's text, as text
    assert reply.locator("script").count() == 0
    assert page.evaluate("window.__injected") is None
    # the person's own text is not linked
    ask(page, "我的电话是13812345678")
    expect(page.locator(".zwzs-user").last.get_by_role("link")).to_have_count(0)


def test_a_citys_own_hotline_is_a_tel_link_too(new_page, chat_server: str):
    """A city's five-digit hotline (96196) is no national number: the widget links the one it is served with."""
    from playwright.sync_api import expect

    page = new_page(PHONE)

    def as_a_city(route):
        script = route.fetch().text()
        assert '"hotline": "12345"' in script
        route.fulfill(body=script.replace('"hotline": "12345"', '"hotline": "96196"'), content_type="text/javascript")

    page.route("**/widget.js", as_a_city)
    page.route(
        "**/api/v1/chat",
        lambda route: route.fulfill(
            content_type="application/json",
            body='{"messages": [{"text": "请拨打 96196 示例城市服务热线；工本费 96000 元。"}]}',
        ),
    )
    open_widget(page, chat_server)
    ask(page, "电话")
    reply = page.locator(".zwzs-bot").last
    expect(reply.get_by_role("link")).to_have_count(1)
    expect(reply.get_by_role("link")).to_have_attribute("href", "tel:96196")
    expect(reply.locator(".zwzs-text")).to_have_text("请拨打 96196 示例城市服务热线；工本费 96000 元。")


def test_the_human_button_sends_转人工_and_shows_the_number_to_tap(new_page, chat_server: str, chat: ScriptedChat):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    open_widget(page, chat_server)
    human = page.get_by_role("button", name="转人工服务")
    expect(human).to_have_text("转人工")
    human.click()
    expect(page.locator(".zwzs-user .zwzs-text").last).to_have_text("转人工")
    expect(page.locator(".zwzs-waiting")).to_have_count(0)
    reply = page.locator(".zwzs-bot").last
    expect(reply.locator(".zwzs-text")).to_have_text(HANDOFF)
    expect(reply.get_by_role("link", name="12345")).to_have_attribute("href", "tel:12345")
    assert chat.sent()[-1] == "转人工"


def test_restart_starts_a_new_conversation_on_the_server_too(new_page, chat_server: str, chat: ScriptedChat):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    open_widget(page, chat_server)
    ask(page, QUESTION)
    page.get_by_role("button", name="本市户口").click()
    expect(page.get_by_role("button", name="本人办理")).to_be_enabled()
    ask(page, "随便问问")
    expect(page.locator(".zwzs-bot .zwzs-text").last).to_contain_text("请先回答上面的问题")  # still in the checklist

    before = len(chat.calls)
    page.get_by_role("button", name="重新开始对话").click()
    users = page.locator(".zwzs-user")
    expect(users).to_have_count(0)  # the log is cleared and "/restart" is not shown as the person's words
    expect(page.locator(".zwzs-message")).to_have_count(1)
    expect(page.locator(".zwzs-bot").first).to_contain_text("您好，我是政务助手。")
    expect(page.get_by_role("button", name="发送")).to_be_enabled()  # the restart has been answered
    assert chat.sent()[before:] == ["/restart"]
    expect(page.locator(".zwzs-message")).to_have_count(1)  # the server's silence is not answered with an apology
    expect(page.get_by_role("textbox", name=INPUT)).to_be_focused()

    ask(page, "随便问问")
    expect(page.locator(".zwzs-bot .zwzs-text").last).to_contain_text("抱歉，我暂时无法回答")  # the checklist is gone
    page.reload()
    expect(users).to_have_count(1)  # what is remembered is the new conversation only
    expect(users.first.locator(".zwzs-text")).to_have_text("随便问问")


def test_a_long_answer_is_shown_from_its_start(new_page, chat_server: str):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    open_widget(page, chat_server)
    ask(page, QUESTION)
    ask(page, LONG_NOTICE_REQUEST)
    expect(page.locator(".zwzs-bot .zwzs-text").last).to_have_text("还想了解什么？")
    log = page.get_by_role("log")
    first_new = page.locator(".zwzs-bot", has_text="好的，以下是您的一次性告知单。")
    notice = page.locator(".zwzs-bot", has_text="一次性告知单：内地居民结婚登记（示例）")
    last = page.locator(".zwzs-bot").last

    def visible_top(locator) -> bool:
        area, box = log.bounding_box(), locator.bounding_box()
        return area["y"] - 1 <= box["y"] < area["y"] + area["height"]

    assert visible_top(first_new), "the start of the answer is not in view"
    assert visible_top(notice), "the 告知单's first lines (the materials) are not in view"
    assert not visible_top(last), "the log was scrolled to its end, past the materials"
    # the person's question stays just above, not scrolled far away
    assert log.evaluate("e => e.scrollTop < e.scrollHeight - e.clientHeight - 1")

    set_large(page, True)  # the 大字 mode keeps the answer's start in view
    assert visible_top(first_new)
    page.reload()  # and so does coming back to the page
    assert visible_top(page.locator(".zwzs-bot", has_text="好的，以下是您的一次性告知单。"))

    ask(page, "转人工")  # a short answer that fits: it is at the bottom, the question above it
    area, answer = log.bounding_box(), page.locator(".zwzs-bot").last.bounding_box()
    assert answer["y"] + answer["height"] <= area["y"] + area["height"] + 1
    assert visible_top(page.locator(".zwzs-user").last)
