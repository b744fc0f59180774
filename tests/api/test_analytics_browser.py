"""好差评 and analytics in Debian's Chromium: a citizen rates an answer in the widget at 375 px (不满意, 信息有误,
提交, the thanks kept across a reload; in the 大字 mode by keyboard), and an editor reads the analytics page, its
charts drawn on the server, at phone and desk width, with axe-core finding no serious violation."""

from __future__ import annotations

import os
import random
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from app_doubles import serving
from axe import describe, serious_violations
from feedback_doubles import ID_CARD, PASSWORD, feedback_app
from sqlalchemy import select, update

from assistant.console import feedback, messages, staff
from assistant.console.db import Database, console_database_url
from assistant.console.models import Feedback, Handoff, Message
from knowledge.catalogue import Catalogue

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1280, "height": 900}
REPO = Path(__file__).parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
LAUNCHER = "打开政务助手，咨询办事问题"
INPUT = "输入您的问题"
EDITOR = "editor-zhao"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feedback-app")


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue, data_dir: Path) -> Iterator[str]:
    with serving(lambda port: feedback_app(bundled, data_dir, port=port)) as url:
        yield url


@pytest.fixture(scope="module")
def db(base_url: str, data_dir: Path) -> Iterator[Database]:
    """The served application's database (SQLite in WAL mode: this second connection reads what it writes)."""
    database = Database.open(console_database_url(data_dir))
    yield database
    database.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(viewport: dict):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(context)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.errors = errors  # type: ignore[attr-defined]
        return tab

    yield make
    for context in contexts:
        context.close()


def _ask(page, text: str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name=INPUT)
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".zwzs-waiting")).to_have_count(0, timeout=15_000)


def _height(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["height"]


def test_a_citizen_rates_an_answer_at_phone_width_and_the_thanks_survive_a_reload(new_page, base_url: str, db):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    page.goto(base_url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    _ask(page, "身份证丢了怎么办")
    rating = page.get_by_role("group", name="评价这条回答")
    expect(rating).to_have_count(1)  # under the answer; not under the checklist offer that follows it
    good, bad = rating.get_by_role("button", name="满意", exact=True), rating.get_by_role("button", name="不满意")
    assert _height(good) >= 44 and _height(bad) >= 44
    expect(bad).to_have_attribute("aria-expanded", "false")

    bad.click()
    expect(bad).to_have_attribute("aria-expanded", "true")
    expect(rating.get_by_role("radio", name="没回答我的问题")).to_be_focused()
    assert not serious_violations(page), describe(serious_violations(page))
    rating.get_by_role("button", name="提交").click()  # no reason picked yet: asked for one, nothing sent
    expect(rating.get_by_role("alert")).to_have_text("请选择一个原因，再点“提交”。")
    rating.get_by_role("radio", name="信息有误").check()
    expect(rating.get_by_role("alert")).to_have_text("")
    rating.get_by_role("textbox", name="补充说明（选填）").fill("派出所地址不对")
    assert _height(rating.get_by_role("button", name="提交")) >= 44
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-rating-phone.png"))
    rating.get_by_role("button", name="提交").click()
    thanks = rating.get_by_text("感谢您的评价（不满意：信息有误）")
    expect(thanks).to_be_visible()
    expect(thanks).to_be_focused()  # the keyboard is not dropped to the page's top
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with db.session() as session:
        (row,) = session.scalars(select(Feedback))
        assert (row.rating, row.reason, row.text, row.item_id) == ("bad", "wrong", "派出所地址不对", ID_CARD)
        assert row.channel == "web" and row.question == "身份证丢了怎么办"

    page.reload()
    expect(page.get_by_text("感谢您的评价（不满意：信息有误）")).to_be_visible()
    expect(page.get_by_role("button", name="不满意")).to_have_count(0)  # rated once: no buttons again
    assert page.errors == []  # type: ignore[attr-defined]


def test_rating_by_keyboard_in_the_large_text_mode(new_page, base_url: str, db):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    page.goto(base_url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    page.get_by_role("button", name="大字模式").click()
    _ask(page, "生成材料清单")  # a 告知单, with its link
    rating = page.get_by_role("group", name="评价这条回答").last
    good = rating.get_by_role("button", name="满意", exact=True)
    assert _height(good) >= 60  # the elder mode's targets
    good.focus()
    page.keyboard.press("Tab")
    expect(rating.get_by_role("button", name="不满意")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(rating.get_by_text("感谢您的评价（满意）")).to_be_focused()
    assert not serious_violations(page), describe(serious_violations(page))
    with db.session() as session:
        ratings = {(r.rating, r.answer.splitlines()[0]) for r in session.scalars(select(Feedback))}
    assert ("good", "居民身份证补领 一次性告知单") in ratings


# -- the analytics page --------------------------------------------------------------------------------------------


def seed_month(db: Database, seed: int = 18) -> None:
    """A month of conversations as a city's might look: both channels, weekday peaks, several items, ratings and
    handoffs with their waits (the numbers are made up; the shape is what the page must show)."""
    rng = random.Random(seed)
    items = [
        (ID_CARD, ["materials", "location", "fee"]),
        ("ordinary-passport-issuance", ["materials", "time_limit"]),
        ("marriage-registration", ["materials", "conditions"]),
        ("resident-id-card-first", ["process"]),
    ]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=10, minute=0, second=0, microsecond=0)
    with db.session() as session:
        session.add(Handoff(sender_id="w.seed.0", channel="web", status="open", created_at=datetime.now(UTC)))
    for back in range(29, -1, -1):
        day = today - timedelta(days=back)
        busy = 9 if day.weekday() < 5 else 3
        for n in range(rng.randint(busy - 2, busy + 2)):
            channel = "wechat" if rng.random() < 0.4 else "web"
            sender = f"wx:seed{back}-{n}" if channel == "wechat" else f"w.seed{back}-{n}.x"
            item, elements = rng.choice(items)
            roll = rng.random()
            outcome = (
                "answer" if roll < 0.62 else "notice" if roll < 0.75 else "clarify" if roll < 0.87 else "out_of_scope"
            )
            moment = (day + timedelta(minutes=rng.randint(0, 420))).astimezone(UTC)
            asked = messages.record(db, sender, "person", "怎么办理")
            answer = messages.record(
                db, sender, "assistant", "……", question="怎么办理",
                meta={"outcome": outcome, "item_id": None if outcome == "out_of_scope" else item,
                      "element": rng.choice(elements) if outcome == "answer" else None, "version": "v1"},
            )  # fmt: skip
            with db.session() as session:
                session.execute(
                    update(Message).where(Message.id.in_([asked.seq, answer.seq])).values(created_at=moment)
                )
            if feedback.is_rateable(outcome) and rng.random() < 0.35:
                good = rng.random() < (0.55 if item == "marriage-registration" else 0.8)
                reason = None if good else rng.choice(list(feedback.REASONS))
                feedback.rate(db, sender, answer.message_id, "good" if good else "bad", reason=reason)
                with db.session() as session:
                    session.execute(
                        update(Feedback).where(Feedback.message_id == answer.message_id).values(created_at=moment)
                    )
            if rng.random() < 0.06:
                claimed = moment + timedelta(seconds=rng.randint(30, 900))
                with db.session() as session:
                    session.add(
                        Handoff(
                            sender_id=sender, channel=channel, status="released", item_id=item, created_at=moment,
                            claimed_at=claimed, first_reply_at=claimed + timedelta(seconds=rng.randint(10, 240)),
                        )
                    )  # fmt: skip


@pytest.fixture(scope="module")
def seeded(db: Database) -> Database:
    seed_month(db)
    if EDITOR not in {member.username for member in staff.list_users(db)}:
        staff.add_user(db, EDITOR, "editor", PASSWORD)
    return db


def _editor(new_page, base_url: str, viewport: dict):
    page = new_page(viewport)
    response = page.context.request.post(
        base_url + "/api/v1/auth/login", data={"username": EDITOR, "password": PASSWORD}
    )  # the context's cookie jar: the page is logged in
    assert response.ok, response.text()
    return page


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["375px", "1280px"])
def test_an_editor_reads_the_analytics_page(new_page, base_url: str, seeded: Database, viewport: dict):
    from playwright.sync_api import expect

    page = _editor(new_page, base_url, viewport)
    page.goto(base_url + "/console/analytics")
    expect(page.get_by_role("heading", name="统计分析", level=1)).to_be_visible()
    for heading in ("每日咨询量", "回答结果", "热门事项", "热门要素", "满意度（好差评）", "人工转接"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    chart = page.get_by_role("img", name="每日咨询量（按渠道）")
    expect(chart).to_be_visible()
    assert page.locator(".chart.daily rect.web").count() > 10  # bars, drawn on the server
    expect(page.get_by_role("row", name="内地居民结婚登记").first).to_be_visible()  # satisfaction by item, as text
    waits = page.locator(".handoffs .kpi").filter(has_text="接入等待")
    expect(waits).to_contain_text(re.compile(r"中位数 \d+ 分( \d+ 秒|钟)"))  # staff read minutes, not seconds
    page.get_by_text("每日咨询量数据表").click()
    expect(page.get_by_role("table").filter(has_text="日期").locator("tbody tr")).to_have_count(30)
    found = serious_violations(page)
    assert not found, describe(found)
    assert page.evaluate("document.querySelector('main').scrollWidth") <= viewport["width"]
    assert page.errors == []  # type: ignore[attr-defined]

    page.get_by_label("渠道", exact=True).select_option("wechat")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(f"{base_url}/console/analytics?from=" + page.url.split("from=")[1])
    assert "channel=wechat" in page.url
    expect(page.locator(".period")).to_contain_text("微信")
    expect(page.locator(".kpi").first).to_contain_text("网页 0")  # every figure is WeChat's alone
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV（Excel 可打开）").click()
    assert download.value.suggested_filename.endswith("-wechat.csv")

    page.goto(base_url + "/console/analytics")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / ("analytics.png" if viewport is DESK else "analytics-phone.png")
    page.screenshot(path=str(shot), full_page=True)
    if viewport is DESK and os.environ.get("SCREENSHOTS"):  # the one docs/screenshots shows
        shutil.copyfile(shot, REPO / "docs" / "screenshots" / "analytics.png")
