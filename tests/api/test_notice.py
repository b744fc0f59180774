"""The 一次性告知单 as a page, on paper, as a PDF and several at once (issue 16).

The page over HTTP (the bundled catalogue, no index): an incomplete notice says so at the top, before its
materials, and lists the questions still open there; phone numbers are ``tel:`` links; the page links to its PDF.
The PDF (WeasyPrint, ``integration``: native libraries, about a second a notice) read back with pypdf: the engine's
materials, page numbers, clerk lines, Chinese fonts embedded; the page's errors. The batch page for staff. In
Debian's chromium (``slow``: a server and a browser): cards at phone width and a table at desk width, no sideways
scrolling down to 320 px and at 200 % zoom, text 16 px and line height 1.3 or more, no serious axe-core
violation, and the batch printed with each notice on a page of its own.

The PDF and a phone-width screenshot are left in ``var/screenshots/`` (git-ignored) for a look.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from app_doubles import CatalogueHolder, FakeDialogue, catalogue_app, serving
from axe import describe, serious_violations
from conftest import REPO
from fastapi.testclient import TestClient

from api.app import STATIC, create_app
from api.notices import phone_links, tel_parts
from api.pdf import static_file
from api.settings import Settings
from assistant.dialogue.links import notice_path
from assistant.replies import Replies
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

MARRIAGE = "marriage-registration"
BIRTH = "birth-registration"
# married before, ended by a court (the follow-up it opens), name unchanged: four materials
COMPLETE = {"previous_marriage": "yes", "previous_marriage_end": "court_divorce", "marriage_name_changed": "no"}
INCOMPLETE: dict[str, str] = {}  # two questions open
HTML = {"accept": "text/html"}
SCREENSHOTS = REPO / "var" / "screenshots"
REPLIES = Replies.load()
KANGXI = re.compile("[\u2f00-\u2fdf]")  # Kangxi Radicals
SUPPLEMENT = "\u2e80-\u2eff"  # CJK Radicals Supplement


@pytest.fixture(scope="module")
def client(bundled: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        yield client


def text_of(html: str) -> str:
    """The page's text, roughly: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def squeezed(text: str) -> str:
    """Text without whitespace (a PDF breaks lines inside table cells)."""
    return re.sub(r"\s+", "", text)


def printed(phrase: str, text: str) -> bool:
    """Whether ``phrase`` is in a PDF's ``text``, where chromium's PDFs give some characters as the CJK radicals
    that share their glyph (一 as the Kangxi radical ⼀, which NFKC folds back; 民 and 页 as ⺠ and ⻚ of the
    radicals supplement, which nothing folds: any supplement radical stands for a character there)."""
    folded = KANGXI.sub(lambda match: unicodedata.normalize("NFKC", match.group()), squeezed(text))
    pattern = "".join(f"(?:{re.escape(char)}|[{SUPPLEMENT}])" for char in squeezed(phrase))
    return re.search(pattern, folded) is not None


def incomplete_sentence(count: int) -> str:
    return REPLIES("notice_incomplete", count=count)


# --- the page --------------------------------------------------------------------------------------------------


def test_an_incomplete_notice_says_so_at_the_top_before_its_materials(client: TestClient, bundled: Catalogue) -> None:
    notice = build_notice(bundled, MARRIAGE, INCOMPLETE)
    assert len(notice.pending) == 2
    page = client.get(f"/notice/{MARRIAGE}").text
    shown = text_of(page)
    warning = incomplete_sentence(2)
    assert warning.startswith("本告知单尚未完成：还有2个问题未回答，材料可能不全")
    materials = shown.index("一、申请材料")
    assert shown.index(warning) < materials
    for question in notice.pending:  # the open questions come first, not at the end of page 2
        assert shown.index(question.text) < materials
    # the materials heading no longer looks final
    assert f"共{len(notice.materials)}项" not in shown
    assert f"一、申请材料（目前已确定{len(notice.materials)}项，尚不完整）" in shown
    assert "<title>一次性告知单：内地居民结婚登记（未完成）</title>" in page
    # on paper each open question is printed with boxes to tick
    assert "□ 双方都没有结过婚" in shown and "□ 有一方或双方以前结过婚" in shown


def test_a_complete_notice_carries_no_warning(client: TestClient, bundled: Catalogue) -> None:
    notice = build_notice(bundled, MARRIAGE, COMPLETE)
    assert notice.complete
    shown = text_of(client.get(f"/notice/{MARRIAGE}", params=COMPLETE).text)
    assert "本告知单尚未完成" not in shown
    assert f"一、申请材料（共{len(notice.materials)}项）" in shown
    assert "<title>一次性告知单：内地居民结婚登记</title>" in client.get(f"/notice/{MARRIAGE}", params=COMPLETE).text


def test_the_page_links_its_pdf_and_prints_clerk_lines(client: TestClient) -> None:
    page = client.get(f"/notice/{MARRIAGE}", params=COMPLETE).text
    pdf = f"/notice/{MARRIAGE}.pdf?{urlencode(COMPLETE)}".replace("&", "&amp;")
    assert f'<a class="button-link" href="{pdf}" download>下载PDF</a>' in page
    assert 'onclick="window.print()"' in page
    clerk = page[page.index('<p class="clerk print-only">') :]
    assert re.search(r"经办人：<span class=\"blank\"></span>.*日期：<span class=\"blank\"></span>.*窗口：", clerk, re.S)


def test_each_phone_number_has_a_link_to_call_it(client: TestClient, bundled: Catalogue) -> None:
    notice = build_notice(bundled, MARRIAGE, COMPLETE)
    page = client.get(f"/notice/{MARRIAGE}", params=COMPLETE).text
    contact = page[page.index('id="n1-s-contact"') : page.index('id="n1-s-remedies"')]
    call = '<a class="call no-print" href="tel:12345">拨打 12345</a>'
    assert f"<li>咨询：{notice.consult} {call}</li>" in contact
    assert f"<li>投诉：{notice.complaint} {call}</li>" in contact


def test_phone_numbers_are_told_from_times_addresses_and_web_addresses() -> None:
    text = "0755-12345678，13800138000，https://zwfw.example.gov.cn/item/12345，示例路12号，9:00-12:00，2026-01-01"
    assert phone_links(text) == ["tel:0755-12345678", "tel:13800138000"]
    assert "".join(part for part, _ in tel_parts(text)) == text
    assert phone_links("12345（热线），12345") == ["tel:12345"]


# --- the PDF ---------------------------------------------------------------------------------------------------


def pdf_fonts(reader) -> dict[str, bool]:
    """Each font of the PDF, by name, with whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def read_pdf(content: bytes):
    from io import BytesIO

    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(BytesIO(content))


@pytest.mark.integration
def test_the_pdf_holds_the_engines_notice_with_page_numbers_and_embedded_chinese_fonts(
    client: TestClient, bundled: Catalogue
) -> None:
    notice = build_notice(bundled, MARRIAGE, COMPLETE)
    page = client.get(f"/notice/{MARRIAGE}", params=COMPLETE).text
    link = re.search(r'href="([^"]+\.pdf[^"]*)"[^>]*>下载PDF', page).group(1).replace("&amp;", "&")
    response = client.get(link)  # the page's own link
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    named = quote(f"一次性告知单-{notice.name}.pdf", safe="")
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"notice-{MARRIAGE}.pdf\"; filename*=UTF-8''{named}"
    )
    assert response.content.startswith(b"%PDF-")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "notice.pdf").write_bytes(response.content)
    if shutil.which("pdftoppm"):  # poppler-utils (make pdf-libs): the first page as a picture, for a look
        first = SCREENSHOTS / "notice-pdf-page1"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", SCREENSHOTS / "notice.pdf", first],
            check=True,
        )

    reader = read_pdf(response.content)
    pages = [squeezed(p.extract_text()) for p in reader.pages]
    text = "".join(pages)
    assert squeezed(notice.name) in text
    assert len(notice.materials) == 4
    for material in notice.materials:
        assert squeezed(material.name) in text, material.name
    assert f"一、申请材料（共{len(notice.materials)}项）" in text
    assert "本告知单尚未完成" not in text
    for number, page_text in enumerate(pages, start=1):
        assert f"第{number}页/共{len(pages)}页" in page_text
    assert "经办人：" in pages[-1] and "日期：" in pages[-1] and "窗口：" in pages[-1]
    assert "虚构示例），仅供演示" in text  # the fictional-region note stays

    fonts = pdf_fonts(reader)
    assert fonts, "no fonts in the PDF"
    assert all(fonts.values()), f"fonts not embedded: {[name for name, embedded in fonts.items() if not embedded]}"
    assert all("CJK-SC" in name for name in fonts), fonts  # Simplified Chinese glyphs, not the JP or a Latin font


@pytest.mark.integration
def test_an_incomplete_pdf_says_so_on_its_first_page_and_on_every_page(client: TestClient, bundled: Catalogue) -> None:
    notice = build_notice(bundled, MARRIAGE, INCOMPLETE)
    response = client.get(f"/notice/{MARRIAGE}.pdf")
    assert response.status_code == 200
    pages = [squeezed(p.extract_text()) for p in read_pdf(response.content).pages]
    first = pages[0]
    warning = squeezed(incomplete_sentence(len(notice.pending)))
    assert first.index(warning) < first.index("一、申请材料")
    for question in notice.pending:
        assert squeezed(question.text) in first
    for page_text in pages:  # the running header
        assert squeezed(REPLIES("notice_incomplete_short", count=len(notice.pending))) in page_text


@pytest.mark.integration
def test_a_bundles_pdf_lists_its_deduplicated_materials(client: TestClient, bundled: Catalogue) -> None:
    notice = build_notice(bundled, "enterprise-opening")
    response = client.get("/notice/enterprise-opening.pdf")
    assert response.status_code == 200
    text = "".join(squeezed(p.extract_text()) for p in read_pdf(response.content).pages)
    for material in notice.materials:
        assert squeezed(material.name) in text, material.name


def test_the_pdf_of_an_unknown_item_or_a_bad_answer_is_the_pages_error(client: TestClient) -> None:
    missing = client.get("/notice/no-such-item.pdf", headers=HTML)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "没有编号为“no-such-item”的事项或一件事。" in missing.text
    bad = client.get(f"/notice/{MARRIAGE}.pdf", params={"previous_marriage": "maybe"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")
    assert "情形回答有误" in bad.text and "maybe" in bad.text
    hostile = client.get("/notice/<img src=x onerror=alert(1)>.pdf")
    assert hostile.status_code == 404
    assert "<img" not in hostile.text


def test_making_a_pdf_reads_only_the_applications_static_files() -> None:
    base = "http://testserver/"
    assert static_file(f"{base}static/print.css", base) == STATIC / "print.css"
    assert static_file("http://testserver/zwzs/static/print.css", "http://testserver/zwzs/") == STATIC / "print.css"
    for url in (f"{base}static/../pdf.py", f"{base}static/%2e%2e/pdf.py", "http://elsewhere/static/print.css"):
        assert static_file(url, base) is None, url
    assert static_file("file:///etc/passwd", base) is None


class NoPango:
    """An import finder standing in for a server without Pango: importing WeasyPrint fails as cffi's dlopen does."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return None


def test_without_pango_the_app_serves_pages_and_the_pdf_says_what_to_install(
    bundled: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])
    with TestClient(create_app(Settings(), holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        assert client.get(f"/notice/{MARRIAGE}", params=COMPLETE).status_code == 200
        response = client.get(f"/notice/{MARRIAGE}.pdf", params=COMPLETE)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "make pdf-libs" in response.text
    assert "暂时无法生成PDF" in response.text
    assert "Traceback" not in response.text and "OSError" not in response.text


# --- several notices at once -----------------------------------------------------------------------------------


def batch_value(entry_id: str, answers: dict[str, str]) -> str:
    """A notice as the staff tool names it: ``notice_path(id)`` + "?" + the answers query."""
    return notice_path(entry_id) + ("?" + urlencode(answers) if answers else "")


def test_the_batch_page_holds_each_notice_in_order_and_names_the_bad_ones(
    client: TestClient, bundled: Catalogue
) -> None:
    good = [(MARRIAGE, COMPLETE), (BIRTH, {"parents_married": "yes"}), ("enterprise-opening", {})]
    bad = [batch_value("no-such-item", {}), batch_value(MARRIAGE, {"previous_marriage": "maybe"}), "https://x/y"]
    values = [batch_value(*good[0]), bad[0], batch_value(*good[1]), bad[1], batch_value(*good[2]), bad[2]]
    response = client.get("/notices/print", params=[("n", v) for v in values])
    assert response.status_code == 200
    page = response.text
    articles = page.split('<article class="notice')[1:]
    assert len(articles) == len(good)
    for article, (entry_id, answers) in zip(articles, good, strict=True):
        notice = build_notice(bundled, entry_id, answers)
        shown = text_of(article)
        assert notice.name in shown
        for material in notice.materials:
            assert material.name in shown
        assert ("本告知单尚未完成" in shown) == (not notice.complete)
        assert "经办人：" in shown
    problems = text_of(page[page.index('class="problems"') : page.index("<article")])
    assert "第2份告知单“/notice/no-such-item”未能生成：没有编号为“no-such-item”的事项或一件事。" in problems
    assert f"第4份告知单“{bad[1]}”未能生成：情形回答有误" in problems
    assert "第6份告知单“https://x/y”未能生成：这不是告知单的地址" in problems
    assert "共3份告知单" in text_of(page)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # each notice's headings have ids of their own


def test_the_batch_stylesheet_starts_each_notice_on_a_new_printed_page() -> None:
    css = (STATIC / "print.css").read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    assert re.search(r"\.notice \+ \.notice \{[^}]*break-before: page", print_rules)


def test_a_batch_with_nothing_printable_is_a_422_page_that_says_why(client: TestClient) -> None:
    empty = client.get("/notices/print")
    assert empty.status_code == 422
    assert "没有要打印的告知单" in text_of(empty.text)
    hostile = client.get("/notices/print", params={"n": "/notice/<script>alert(1)</script>"})
    assert hostile.status_code == 422
    assert "<script>alert(1)" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text
    many = client.get("/notices/print", params=[("n", batch_value(MARRIAGE, {}))] * 51)
    assert many.status_code == 422
    assert "一次最多打印50份告知单" in text_of(many.text)


# --- in a browser ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue) -> Iterator[str]:
    with serving(catalogue_app(bundled)) as url:
        yield url


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_at(url: str, width: int, height: int = 800, scale: float = 1):
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=scale, locale="zh-CN"
        )
        contexts.append(context)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto(url)
        assert not errors, errors
        return tab

    yield open_at
    for context in contexts:
        context.close()


def notice_url(base_url: str, answers: dict[str, str]) -> str:
    return base_url + batch_value(MARRIAGE, answers)


def scroll_width(tab) -> int:
    return tab.evaluate("document.scrollingElement.scrollWidth")


SMALL_TEXT = """() => {
    const bad = [];
    for (const el of document.body.querySelectorAll("*")) {
        const own = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        if (!own || !el.getClientRects().length) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || el.closest(".skip-link")) continue;
        const size = parseFloat(style.fontSize);
        const line = style.lineHeight === "normal" ? 1.2 * size : parseFloat(style.lineHeight);
        if (size < 16 || line < 1.3 * size) {
            bad.push(`${el.tagName}.${el.className} ${size}px/${line}px: ${el.textContent.trim().slice(0, 20)}`);
        }
    }
    return bad;
}"""


@pytest.mark.slow
def test_at_phone_width_materials_are_cards_and_nothing_scrolls_sideways(
    open_page, base_url: str, bundled: Catalogue
) -> None:
    from playwright.sync_api import expect

    notice = build_notice(bundled, MARRIAGE, COMPLETE)
    tab = open_page(notice_url(base_url, COMPLETE), 375)
    cards = tab.locator(".material-card")
    expect(cards).to_have_count(len(notice.materials))
    for card, material in zip(cards.all(), notice.materials, strict=True):
        expect(card).to_be_visible()
        expect(card.locator(".card-title")).to_contain_text(material.name)
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    expect(tab.locator("table.materials")).to_be_hidden()
    assert scroll_width(tab) <= 375
    assert tab.evaluate(SMALL_TEXT) == []
    expect(tab.get_by_role("link", name="下载PDF")).to_be_visible()
    expect(tab.get_by_role("button", name="打印告知单")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "notice-phone.png"), full_page=True)


@pytest.mark.slow
def test_at_desk_width_and_on_paper_materials_are_a_table(open_page, base_url: str, bundled: Catalogue) -> None:
    from playwright.sync_api import expect

    notice = build_notice(bundled, MARRIAGE, COMPLETE)
    tab = open_page(notice_url(base_url, COMPLETE), 1280)
    table = tab.locator("table.materials")
    expect(table).to_be_visible()
    expect(tab.locator(".material-cards")).to_be_hidden()
    names = table.locator("tbody tr td:nth-child(2)").all_text_contents()
    assert [name.strip().removesuffix("非必需") for name in names] == [m.name for m in notice.materials]
    assert scroll_width(tab) <= 1280
    assert tab.evaluate(SMALL_TEXT) == []
    # printed at phone width, the paper still gets the table, and the clerk lines
    phone = open_page(notice_url(base_url, COMPLETE), 375)
    phone.emulate_media(media="print")
    expect(phone.locator("table.materials")).to_be_visible()
    expect(phone.locator(".material-cards")).to_be_hidden()
    expect(phone.locator(".clerk")).to_be_visible()
    expect(phone.locator(".toolbar")).to_be_hidden()


@pytest.mark.slow
@pytest.mark.parametrize(("width", "scale"), [(320, 1), (640, 2)], ids=["320px", "1280px-at-200%"])
def test_the_notice_reflows_at_320_px_and_at_200_percent_zoom(open_page, base_url: str, width, scale) -> None:
    for answers in (COMPLETE, INCOMPLETE):
        tab = open_page(notice_url(base_url, answers), width, scale=scale)
        assert scroll_width(tab) <= width, answers
        assert tab.evaluate(SMALL_TEXT) == []


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("answers", [COMPLETE, INCOMPLETE], ids=["complete", "incomplete"])
def test_no_serious_accessibility_violations(open_page, base_url: str, width: int, answers) -> None:
    tab = open_page(notice_url(base_url, answers), width)
    found = serious_violations(tab)
    assert not found, describe(found)


@pytest.mark.slow
def test_answering_the_open_questions_on_the_page_completes_the_notice(
    open_page, base_url: str, bundled: Catalogue
) -> None:
    from playwright.sync_api import expect

    tab = open_page(notice_url(base_url, {}), 375)
    warning = tab.locator(".incomplete-mark")
    expect(warning).to_have_text(incomplete_sentence(2))
    assert warning.bounding_box()["y"] < tab.locator(".material-cards").bounding_box()["y"]
    tab.get_by_label("双方都没有结过婚").check()
    tab.get_by_label("没有改过名").check()
    tab.get_by_role("button", name="更新告知单").click()
    expect(tab.locator(".incomplete-mark")).to_have_count(0)
    notice = build_notice(bundled, MARRIAGE, {"previous_marriage": "no", "marriage_name_changed": "no"})
    assert notice.complete
    expect(tab.locator("#n1-s-materials")).to_have_text(f"一、申请材料（共{len(notice.materials)}项）")
    expect(tab.locator(".material-card")).to_have_count(len(notice.materials))


@pytest.mark.slow
def test_the_batch_prints_each_notice_from_a_new_page_with_page_numbers(
    open_page, base_url: str, bundled: Catalogue
) -> None:
    values = [batch_value(MARRIAGE, COMPLETE), batch_value(BIRTH, {"parents_married": "yes"})]
    tab = open_page(f"{base_url}/notices/print?{urlencode([('n', v) for v in values])}", 1280)
    found = serious_violations(tab)
    assert not found, describe(found)
    reader = read_pdf(tab.pdf(prefer_css_page_size=True))  # the browser's own print
    pages = [squeezed(page.extract_text()) for page in reader.pages]
    first, second = (
        build_notice(bundled, MARRIAGE, COMPLETE),
        build_notice(bundled, BIRTH, {"parents_married": "yes"}),
    )
    starts = next(number for number, text in enumerate(pages) if printed(second.name, text))
    assert starts > 0
    assert not printed(first.name, pages[starts])  # the second notice begins a page of its own
    assert printed(first.name, pages[0])
    assert printed("经办人：", pages[starts - 1])  # after the first one's clerk lines
    assert not any(printed("批量打印", text) for text in pages)  # the screen-only summary is not printed
    for number, text in enumerate(pages, start=1):
        assert printed(f"第{number}页/共{len(pages)}页", text)
