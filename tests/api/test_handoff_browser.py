"""Human handoff in a real browser (Debian's Chromium, driven by Playwright): a citizen's widget at phone width and
a clerk's inbox at desk width, two browser contexts on one served application. The citizen asks for a human, the
handoff is pushed to the clerk's open inbox without a reload, the clerk claims and replies, the reply appears in
the widget as the clerk's, the clerk hands back, and the assistant answers the next question.

With ``SCREENSHOTS`` set, the inbox (with the claimed handoff and its conversation) and the widget showing the
clerk's reply are saved to ``docs/screenshots/inbox.png`` and ``docs/screenshots/widget-handoff.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_doubles import serving
from axe import describe, serious_violations
from fastapi import FastAPI
from staff_accounts import PASSWORD, add_staff
from test_handoffs_api import HandoffDialogue, handoff_app
from widget_harness import ask, open_widget

from assistant.replies import Replies
from knowledge.catalogue import Catalogue

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 760}
DESK = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
LIVE_MS = 10_000  # a pushed change arrives within a poll of the stream (about a second)


@pytest.fixture
def served(bundled: Catalogue, tmp_path: Path) -> Iterator[tuple[str, HandoffDialogue]]:
    add_staff(tmp_path, "wang")
    dialogue = HandoffDialogue(Replies.load(bundled.infos[0].contacts))
    apps: list[FastAPI] = []

    def make(port: int) -> FastAPI:
        apps.append(handoff_app(bundled, tmp_path, dialogue))
        return apps[-1]

    # staff answer around the clock here, so the test runs the same whatever the hour (after hours is in the API
    # tests, whose clock is set)
    always = Replies.load(bundled.infos[0].contacts.model_copy(update={"hotline_hours": "24小时"}))
    with serving(make) as url:
        apps[0].state.assistant.dialogue.replies = lambda: always
        yield url, dialogue


def context_page(browser, viewport: dict[str, int]):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_a_citizen_is_answered_by_a_clerk_and_handed_back(browser, served) -> None:
    from playwright.sync_api import expect

    url, dialogue = served
    clerk_context, inbox, inbox_errors = context_page(browser, DESK)
    citizen_context, widget, widget_errors = context_page(browser, PHONE)
    try:
        # the clerk logs in through the login page and lands in the (empty) inbox
        inbox.goto(f"{url}/console/inbox")
        expect(inbox).to_have_url(f"{url}/console/login?next=%2Fconsole%2Finbox")
        inbox.get_by_label("用户名").fill("wang")
        inbox.get_by_label("密码").fill(PASSWORD)
        inbox.get_by_role("button", name="登录").click()
        expect(inbox).to_have_url(f"{url}/console/inbox")
        expect(inbox.get_by_role("heading", name="人工收件箱")).to_be_visible()
        expect(inbox.locator("#list-empty")).to_be_visible()

        # the citizen asks a question, then presses 转人工
        open_widget(widget, url)
        ask(widget, "结婚登记要带什么")
        widget.get_by_role("button", name="转人工服务").click()
        queued = widget.locator(".zwzs-system").last
        expect(queued).to_contain_text("已为您转接人工服务", timeout=LIVE_MS)

        # pushed to the open inbox: no reload
        item = inbox.locator(".handoff-item").first
        expect(item).to_contain_text("内地居民结婚登记", timeout=LIVE_MS)
        expect(item).to_contain_text("等待中")
        expect(inbox.get_by_role("status")).to_contain_text("新的人工服务请求")
        item.click()
        expect(inbox.locator("#transcript")).to_contain_text("结婚登记要带什么")
        inbox.get_by_role("button", name="认领").click()
        expect(inbox.locator("#detail-facts")).to_contain_text("由我处理")
        reply = inbox.get_by_label("回复市民")
        expect(reply).to_be_focused()
        reply.fill("您好，我是窗口工作人员。再婚登记请带离婚证或离婚判决书。")
        inbox.get_by_role("button", name="发送", exact=True).click()
        expect(inbox.locator("#messages")).to_contain_text("工作人员 wang：")

        # the widget shows it, as the clerk's
        said = widget.locator(".zwzs-clerk").last
        expect(said).to_contain_text("工作人员 wang：", timeout=LIVE_MS)
        expect(said).to_contain_text("再婚登记请带离婚证")
        assert widget.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # the citizen answers; the clerk sees it live
        ask(widget, "好的，需要带户口本吗？")
        expect(inbox.locator("#messages")).to_contain_text("需要带户口本吗", timeout=LIVE_MS)
        assert "好的，需要带户口本吗？" not in dialogue.messages()  # staff's, not the assistant's

        if os.environ.get("SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            inbox.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)
            widget.screenshot(path=str(SCREENSHOTS / "widget-handoff.png"))

        violations = serious_violations(inbox)
        assert violations == [], describe(violations)

        # handed back: the citizen is told, and the assistant answers again
        inbox.get_by_role("button", name="结束人工，交还助手").click()
        expect(inbox.locator("#detail-facts")).to_contain_text("已结束", timeout=LIVE_MS)
        expect(widget.locator(".zwzs-system").last).to_contain_text("工作人员已结束本次人工服务", timeout=LIVE_MS)
        ask(widget, "离婚登记在哪里办")
        expect(widget.locator(".zwzs-bot").last).to_contain_text("echo: 离婚登记在哪里办")
        assert dialogue.messages()[-1] == "离婚登记在哪里办"
    finally:
        clerk_context.close()
        citizen_context.close()
    assert not inbox_errors, inbox_errors
    assert not widget_errors, widget_errors
