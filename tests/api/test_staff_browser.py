"""The staff lookup in a real browser (Debian's chromium, driven by Playwright): keyboard-first search (typos and
material names too), the one-click scenario wizard, recent items and the print list, at desk and phone width,
and WCAG 2.1 AA (axe-core), no sideways scrolling at 320 px, 44 px tap targets, phone numbers as tel: links."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest
from app_doubles import catalogue_app, serving
from axe import describe, serious_violations
from staff_accounts import add_staff, log_in, log_in_browser

from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

pytestmark = pytest.mark.slow

SIZES = {"desk": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
BIRTH = "birth-registration"  # parents_married -> settle_with (yes) / non_marital_settle_with (no); 2 more questions
MARRIAGE = "marriage-registration"


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir)  # the clerk every tab logs in as
    with serving(catalogue_app(bundled, data_dir)) as url:
        # without an index the search reads typos with a normaliser over the catalogue's words, made on the first
        # Chinese query (jieba's dictionary on a fresh machine takes a while): made here, not in a test's timeout
        with httpx.Client(base_url=url, timeout=120) as client:
            log_in(client)
            client.get("/staff/search", params={"q": "身分证"}).raise_for_status()
        yield url


def _tab(browser, viewport: dict[str, int], base_url: str):
    """A tab of a new browser context, logged in as the clerk (the lookup is for logged-in window staff)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    log_in_browser(context, base_url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    return context, tab, errors


@pytest.fixture(params=sorted(SIZES))
def page(browser, request, base_url: str):
    context, tab, errors = _tab(browser, SIZES[request.param], base_url)
    yield tab
    context.close()
    assert not errors, errors


@pytest.fixture
def desk(browser, base_url: str):
    """One desk-width tab (for what does not depend on the width)."""
    context, tab, errors = _tab(browser, SIZES["desk"], base_url)
    yield tab
    context.close()
    assert not errors, errors


def names(page) -> list[str]:
    return page.locator("#results li .name").all_inner_texts()


# --- search ----------------------------------------------------------------------------------------------------


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


def test_pinyin_initials_sfz_still_find_the_id_card_items(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff")
    expect(desk.locator("#q")).to_be_focused()  # autofocus comes with the first rendering, not at once
    desk.keyboard.type("sfz")
    expect(desk.locator("#results li .name").first).to_have_text("居民身份证补领")
    assert all("居民身份证" in name for name in names(desk))


def test_a_typo_finds_what_was_meant(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff")
    expect(desk.locator("#q")).to_be_focused()
    desk.keyboard.type("身分证")  # 分 for 份: nothing is named so
    expect(desk.locator("#results li .name").first).to_have_text("居民身份证补领", timeout=15_000)
    assert {"居民身份证补领", "居民身份证换领", "居民身份证首次申领"} <= set(names(desk)[:4])
    # the entries found by their names carry no material line
    expect(desk.locator("#results li").first.locator(".material")).to_have_count(0)


def test_a_material_name_lists_the_items_that_ask_for_it(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff")
    desk.fill("#q", "出生医学证明")  # one search, not one per character
    birth = desk.locator("#results li", has=desk.locator(".name", has_text="出生登记")).first
    expect(birth).to_contain_text("申请材料含：出生医学证明")
    found = names(desk)
    assert "出生登记" in found and "新生儿出生一件事" in found
    assert "内地居民结婚登记" not in found  # it asks for no birth certificate
    with desk.expect_navigation():
        birth.locator("a").click()
    assert desk.url.endswith(f"/staff/items/{BIRTH}")


def test_department_filter_narrows_the_list(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff")
    page.select_option("#department", "公安机关出入境管理部门")
    expect(page.locator("#results li")).to_have_count(5)


# --- the wizard ------------------------------------------------------------------------------------------------


def question(page, question_id: str):
    return page.locator(f'#wizard-form fieldset[data-question="{question_id}"]')


def print_path(page) -> str:
    href = page.locator("#wizard-print").get_attribute("href")
    assert href is not None
    return href


def test_one_click_answers_a_question_and_opens_its_follow_up(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/items/{BIRTH}")
    expect(question(page, "settle_with")).to_be_hidden()
    page.get_by_label("已办理结婚登记", exact=True).click()  # one click, no confirmation
    expect(question(page, "settle_with")).to_be_visible()
    expect(question(page, "non_marital_settle_with")).to_be_hidden()
    expect(page.locator("#wizard-status")).to_contain_text("已回答 1 个问题")
    expect(page.locator("#wizard-print")).to_have_attribute("href", f"/notice/{BIRTH}?parents_married=yes")
    expect(page.locator("#wizard-form button")).to_have_count(0)  # nothing to confirm


def test_answering_every_question_builds_the_notice(page, base_url: str, bundled: Catalogue) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/items/{BIRTH}")
    answers: dict[str, str] = {}
    item = bundled.items[BIRTH]
    for _ in range(len(item.scenario)):
        pending = page.locator("#wizard-form fieldset.question.next")
        if not pending.count():
            break
        asked = pending.get_attribute("data-question")
        answers[asked] = next(q for q in item.scenario if q.id == asked).options[0].id
        pending.locator("input").first.click()
        expect(page.locator("#wizard-status")).to_contain_text(f"{len(answers)}" if len(answers) < 4 else "全部")
    notice = build_notice(bundled, BIRTH, answers)
    assert notice.complete
    expect(page.locator("#wizard-result h3")).to_have_text("一次性告知单")
    expect(page.locator(".notice-materials > li")).to_have_count(len(notice.materials))
    expect(page.locator("#wizard-status")).to_contain_text("情形已全部回答")


def test_changing_the_first_answer_keeps_the_others(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/items/{BIRTH}")
    page.get_by_label("已办理结婚登记", exact=True).click()
    question(page, "settle_with").get_by_label("随父亲落户").click()
    page.get_by_label("家庭户（有户口本）").click()
    page.get_by_label("在本市医院（助产机构）出生").click()
    expect(page.locator("#wizard-print")).to_have_attribute(
        "href",
        f"/notice/{BIRTH}?parents_married=yes&settle_with=father"
        "&settling_parent_household=family&birth_place=local_hospital",
    )
    page.get_by_label("未办理结婚登记（非婚生育）").click()
    # the follow-up of the old answer is gone, the new one is asked, the third and fourth answers stay
    expect(question(page, "settle_with")).to_be_hidden()
    expect(question(page, "non_marital_settle_with")).to_be_visible()
    expect(question(page, "non_marital_settle_with").locator("input:checked")).to_have_count(0)
    expect(page.get_by_label("家庭户（有户口本）")).to_be_checked()
    expect(page.get_by_label("在本市医院（助产机构）出生")).to_be_checked()
    expect(page.locator("#wizard-print")).to_have_attribute(
        "href", f"/notice/{BIRTH}?parents_married=no&settling_parent_household=family&birth_place=local_hospital"
    )
    expect(page.locator("#wizard-status")).to_contain_text("还有 1 个")
    # answering the old follow-up's place again: the old answer did not come back by itself
    page.get_by_label("已办理结婚登记", exact=True).click()
    expect(question(page, "settle_with").locator("input:checked")).to_have_count(0)
    expect(page.get_by_label("家庭户（有户口本）")).to_be_checked()


def test_print_opens_the_notice_in_a_new_tab_and_pdf_has_the_same_answers(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff/items/{MARRIAGE}")
    desk.get_by_label("双方都没有结过婚").click()
    link = desk.locator("#wizard-print")
    expect(link).to_have_attribute("href", f"/notice/{MARRIAGE}?previous_marriage=no")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in (link.get_attribute("rel") or "")
    expect(desk.locator("#wizard-pdf")).to_have_attribute("href", f"/notice/{MARRIAGE}.pdf?previous_marriage=no")
    with desk.context.expect_page() as opened:
        link.click()
    notice = opened.value
    notice.wait_for_load_state()
    assert notice.url == f"{base_url}/notice/{MARRIAGE}?previous_marriage=no"
    expect(notice.locator("h1").first).to_contain_text("一次性告知单")
    assert desk.url.endswith(f"/staff/items/{MARRIAGE}")  # the wizard stays where it was


def test_multiple_choice_answers_with_each_click(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff/items/{MARRIAGE}")
    desk.get_by_label("有一方或双方以前结过婚").click()
    follow_up = question(desk, "previous_marriage_end")
    expect(follow_up).to_be_visible()
    follow_up.get_by_label("在民政局协议离婚（有离婚证）").click()
    follow_up.get_by_label("配偶去世（丧偶）").click()
    expect(desk.locator("#wizard-print")).to_have_attribute(
        "href", f"/notice/{MARRIAGE}?previous_marriage=yes&previous_marriage_end=registered_divorce"
        "&previous_marriage_end=widowed"
    )  # fmt: skip


# --- recent items and the print list ---------------------------------------------------------------------------


def test_recent_items_are_listed_on_the_search_page(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff")
    expect(desk.locator("#recent")).to_be_hidden()  # nothing opened yet in this browser
    for entry in (MARRIAGE, BIRTH, "enterprise-opening", MARRIAGE):
        desk.goto(f"{base_url}/staff/items/{entry}")
        expect(desk.locator("#wizard-status")).not_to_be_empty()
    desk.goto(f"{base_url}/staff")
    recent = desk.locator("#recent-list a")
    expect(recent).to_have_count(3)  # once each, the latest first
    expect(recent.nth(0)).to_have_text("内地居民结婚登记")
    expect(recent.nth(1)).to_contain_text("企业开办一件事")
    expect(recent.nth(1)).to_contain_text("一件事")
    expect(recent.nth(2)).to_have_text("出生登记")
    with desk.expect_navigation():
        recent.nth(2).click()
    assert desk.url.endswith(f"/staff/items/{BIRTH}")
    desk.goto(f"{base_url}/staff")
    desk.get_by_role("button", name="清除记录").click()
    expect(desk.locator("#recent")).to_be_hidden()


def test_the_print_list_prints_several_notices_at_once(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff/items/{MARRIAGE}")
    desk.get_by_label("双方都没有结过婚").click()
    expect(desk.locator("#wizard-print")).to_have_attribute("href", f"/notice/{MARRIAGE}?previous_marriage=no")
    desk.get_by_role("button", name="加入打印清单").click()
    expect(desk.locator("#wizard-list-status")).to_contain_text("共 1 份")

    desk.goto(f"{base_url}/staff/items/{BIRTH}")
    desk.get_by_label("未办理结婚登记（非婚生育）").click()
    birth = f"/notice/{BIRTH}?parents_married=no"
    expect(desk.locator("#wizard-print")).to_have_attribute("href", birth)
    desk.get_by_role("button", name="加入打印清单").click()
    desk.get_by_role("button", name="加入打印清单").click()  # the same notice twice is kept once
    expect(desk.locator("#wizard-list-status")).to_contain_text("共 2 份")

    desk.goto(f"{base_url}/staff")
    items = desk.locator("#print-list-items > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("内地居民结婚登记")
    expect(items.nth(0)).to_contain_text("双方都没有结过婚")
    expect(items.nth(1)).to_contain_text("出生登记")
    print_all = desk.locator("#print-all")
    expected = (
        "/notices/print?n=" + quote(f"/notice/{MARRIAGE}?previous_marriage=no", safe="") + "&n=" + quote(birth, safe="")
    )
    expect(print_all).to_have_attribute("href", expected)
    expect(print_all).to_have_attribute("target", "_blank")
    expect(print_all).to_contain_text("2 份")
    with desk.context.expect_page() as opened:
        print_all.click()
    printed = opened.value
    printed.wait_for_load_state()
    assert urlsplit(printed.url).path == "/notices/print"
    assert printed.url == base_url + expected
    expect(printed.locator("body")).to_contain_text("内地居民结婚登记")
    expect(printed.locator("body")).to_contain_text("出生登记")

    items.nth(0).get_by_role("button").click()  # 移除
    expect(items).to_have_count(1)
    expect(print_all).to_have_attribute("href", "/notices/print?n=" + quote(birth, safe=""))
    desk.get_by_role("button", name="清空打印清单").click()
    expect(desk.locator("#print-list")).to_be_hidden()


def test_the_print_list_stops_at_what_one_print_page_takes(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    from api.notices import MAX_BATCH

    desk.goto(f"{base_url}/staff")
    full = [{"path": f"/notice/{BIRTH}?n={n}", "name": "出生登记", "summary": str(n)} for n in range(MAX_BATCH)]
    desk.evaluate("(list) => localStorage.setItem('zwzs.staff.printList', JSON.stringify(list))", full)
    desk.goto(f"{base_url}/staff/items/{MARRIAGE}")
    expect(desk.locator("#wizard-add")).to_be_visible()
    desk.get_by_role("button", name="加入打印清单").click()
    expect(desk.locator("#wizard-list-status")).to_contain_text(f"打印清单已满（一次最多打印 {MAX_BATCH} 份）")
    desk.goto(f"{base_url}/staff")
    expect(desk.locator("#print-list-items > li")).to_have_count(MAX_BATCH)


# --- accessibility ---------------------------------------------------------------------------------------------

A11Y_SIZES = {"desk": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
# what a finger taps, outside running text (WCAG 2.5.8 leaves links inside a sentence alone)
TAP_TARGETS = (
    "button, select, input[type=search], .options label, summary, #results a, .chips a, .print-items a, .toc a, "
    ".breadcrumb a, .button-link, a.tel, .site-header a, #wizard-list-status a"
)


def _fill_browser_lists(tab, base_url: str) -> None:
    """Open an item and put its notice on the print list, so the search page shows both of its side panels."""
    from playwright.sync_api import expect

    tab.goto(f"{base_url}/staff/items/{MARRIAGE}")
    tab.get_by_label("双方都没有结过婚").click()
    expect(tab.locator("#wizard-print")).to_have_attribute("href", f"/notice/{MARRIAGE}?previous_marriage=no")
    tab.get_by_role("button", name="加入打印清单").click()
    expect(tab.locator("#wizard-list-status")).to_contain_text("共 1 份")


@pytest.mark.parametrize("size", sorted(A11Y_SIZES))
@pytest.mark.parametrize("path", ["/staff", f"/staff/items/{MARRIAGE}", "/staff/items/enterprise-opening"])
def test_staff_pages_meet_wcag_aa_and_have_large_tap_targets(browser, base_url: str, path: str, size: str) -> None:
    from playwright.sync_api import expect

    context, tab, errors = _tab(browser, A11Y_SIZES[size], base_url)
    try:
        _fill_browser_lists(tab, base_url)
        tab.goto(base_url + path)
        if path == "/staff":
            expect(tab.locator("#print-list-items > li")).to_have_count(1)
            expect(tab.locator("#recent-list > li")).to_have_count(1)
        else:
            tab.locator("#wizard-form input").first.click()  # the wizard with an answer and its notice
            expect(tab.locator("#wizard-result h3")).to_be_visible()
        found = serious_violations(tab)
        assert not found, describe(found)
        measured = tab.evaluate(
            """(selector) => Array.from(document.querySelectorAll(selector))
                 .filter((el) => el.getClientRects().length)  // shown
                 .map((el) => [el.tagName + ' ' + (el.textContent || el.value || '').trim().slice(0, 20),
                               Math.min(el.getBoundingClientRect().height, el.getBoundingClientRect().width)])""",
            TAP_TARGETS,
        )
        assert len(measured) >= 10  # the search box, its buttons, the results or the wizard's options …
        small = [target for target in measured if target[1] < 44]
        assert not small, small
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("path", ["/staff", f"/staff/items/{BIRTH}", "/staff/items/enterprise-opening"])
def test_nothing_scrolls_sideways_at_320_px(browser, base_url: str, path: str) -> None:
    context, tab, errors = _tab(browser, {"width": 320, "height": 640}, base_url)
    try:
        _fill_browser_lists(tab, base_url)
        tab.goto(base_url + path)
        tab.wait_for_load_state("networkidle")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
    assert not errors, errors


def test_phone_numbers_are_tel_links(desk, base_url: str) -> None:
    from playwright.sync_api import expect

    desk.goto(f"{base_url}/staff/items/{MARRIAGE}")
    consult = desk.locator("#contact a[href^='tel:']").first
    expect(consult).to_have_attribute("href", "tel:12345")
    # the notice preview of the wizard too
    desk.get_by_label("双方都没有结过婚").click()
    expect(desk.locator("#wizard-result a[href^='tel:']").first).to_be_visible()
