"""The HTML pages: the printable 一次性告知单 and the window-staff lookup, escaped whatever comes in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi.testclient import TestClient
from staff_accounts import add_staff, log_in

from api.app import create_app
from api.settings import Settings
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

BIRTH = "birth-registration"
COMPLETE = {
    "parents_married": "yes",
    "settle_with": "mother",
    "settling_parent_household": "family",
    "birth_place": "local_hospital",
}
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(bundled: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir)
    settings = Settings(paths=PathSettings(data_dir=data_dir))
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        log_in(client)  # the staff pages are for logged-in window staff; the notice pages are public either way
        yield client


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the printable notice --------------------------------------------------------------------------------------


def test_notice_page_lays_out_the_engines_notice(client: TestClient, bundled: Catalogue) -> None:
    response = client.get(f"/notice/{BIRTH}", params=COMPLETE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    notice = build_notice(bundled, BIRTH, COMPLETE)
    assert notice.complete
    assert '<link rel="stylesheet" href="/static/print.css">' in page
    assert 'onclick="window.print()"' in page
    assert '<table class="materials">' in page
    shown = text_of(page)
    assert f"一、申请材料（共{len(notice.materials)}项）" in shown
    for material in notice.materials:
        assert material.name in shown
    for heading in (
        "二、受理条件",
        "三、办理时限",
        "四、收费标准",
        "五、办理流程",
        "六、办理地点和时间",
        "七、咨询和投诉",
    ):
        assert heading in shown
    assert notice.fee in shown
    assert f"办理时间：{notice.office_hours}" in shown
    assert f"咨询：{notice.consult}" in shown
    assert "随母亲落户" in shown  # the person's answers, in words
    assert "尚未回答的问题" not in shown
    assert "虚构示例" in shown  # the fictional region says so


def test_notice_page_lists_unanswered_questions_with_a_form_to_answer_them(client: TestClient) -> None:
    page = client.get(f"/notice/{BIRTH}", params={"parents_married": "yes"}).text
    shown = text_of(page)
    assert "尚未回答的问题" in shown
    assert "孩子随父亲还是随母亲落户？" in shown
    assert "非婚生育的孩子随父亲还是随母亲落户？" not in shown  # its parent option was not chosen
    assert '<input type="hidden" name="parents_married" value="yes">' in page
    assert '<input type="radio" name="settle_with" value="mother">' in page


def test_notice_page_of_a_multiple_choice_repeats_the_parameter(client: TestClient, bundled: Catalogue) -> None:
    # find a multiple-choice question in the bundled catalogue and answer it with two options
    item, question = next(
        (item, q) for item in bundled.items.values() for q in item.scenario if q.multiple and q.when is None
    )
    chosen = [question.options[0].id, question.options[1].id]
    response = client.get(f"/notice/{item.id}", params=[(question.id, chosen[0]), (question.id, chosen[1])])
    assert response.status_code == 200
    assert build_notice(bundled, item.id, {question.id: chosen}).answers[0].answer in text_of(response.text)


def test_notice_page_escapes_script_from_the_query(client: TestClient) -> None:
    for params in ({"<script>alert(1)</script>": "x"}, {"parents_married": "<script>alert(1)</script>"}):
        response = client.get(f"/notice/{BIRTH}", params=params, headers=HTML)
        assert response.status_code == 422
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "情形回答有误" in response.text


def test_notice_page_of_an_unknown_item_is_an_escaped_404(client: TestClient) -> None:
    response = client.get("/notice/<img src=x onerror=alert(1)>", headers=HTML)
    assert response.status_code == 404
    assert "<img" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_notice_page_of_a_bundle_says_what_each_material_is_for(client: TestClient, bundled: Catalogue) -> None:
    page = text_of(client.get("/notice/enterprise-opening").text)
    notice = build_notice(bundled, "enterprise-opening")
    shared = next(m for m in notice.materials if len(m.purposes) > 1)
    assert f"用于：{'、'.join(shared.purposes)}" in page
    assert f"一件事承诺时限：{notice.time_limit}" in page


# --- the staff pages -------------------------------------------------------------------------------------------


def test_staff_search_page_renders_results_without_javascript(client: TestClient) -> None:
    response = client.get("/staff", params={"q": "sfz"})
    assert response.status_code == 200
    page = response.text
    assert 'role="search"' in page
    assert 'href="/staff/items/resident-id-card-reissue"' in page
    assert page.index("居民身份证补领") < page.index("</ol>")
    assert "共 4 项" in text_of(page)
    assert '<option value="公安机关出入境管理部门">' in page
    assert '<script src="/static/staff.js" defer></script>' in page


def test_staff_search_page_escapes_the_query(client: TestClient) -> None:
    page = client.get("/staff", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_staff_item_page_groups_every_element_as_on_a_portal(client: TestClient, bundled: Catalogue) -> None:
    response = client.get(f"/staff/items/{BIRTH}")
    assert response.status_code == 200
    shown = text_of(response.text)
    headings = ["基本信息", "受理条件", "申请材料", "办理流程", "办理时限", "收费", "办理地点和时间", "咨询/投诉"]
    headings += ["设定依据", "常见问题", "办理情形与一次性告知单"]
    for heading in headings:
        assert re.search(rf"<h2 id=\"[^\"]+\">{re.escape(heading)}", response.text), heading
    item = bundled.items[BIRTH]
    for material in item.materials:
        assert material.name in shown
    assert item.basis[0].law in shown
    assert item.faq[0].question in shown
    assert item.legal_time_limit.describe() in shown
    assert 'data-api="/api/v1/items/birth-registration/checklist"' in response.text
    assert 'href="/notice/birth-registration"' in response.text
    assert "视情形" in shown  # materials only some scenarios need are marked, with the answer that adds them


def test_staff_item_page_shows_the_legal_review_under_the_basis(write_catalogue, item_data, tmp_path) -> None:
    from conftest import ITEM

    from knowledge.loader import load_catalogues

    item_data["legal_review"] = {
        "date": "2026-12-02",
        "sources": ["《中华人民共和国居民身份证法》（2011年修正）第八条", "<b>公安部规定</b>"],
    }
    catalogue = load_catalogues([write_catalogue({ITEM: item_data})], bundled=False)
    add_staff(tmp_path / "data")
    settings = Settings(paths=PathSettings(data_dir=tmp_path / "data"))
    with TestClient(create_app(settings, holder=CatalogueHolder(catalogue), dialogue=FakeDialogue())) as client:
        log_in(client)
        page = client.get(f"/staff/items/{item_data['id']}").text
    basis = page[page.index('<section id="basis"') : page.index('<section id="faq"')]
    assert (
        "法律依据审核：2026-12-02，依据：《中华人民共和国居民身份证法》（2011年修正）第八条；"
        "&lt;b&gt;公安部规定&lt;/b&gt;" in basis
    )
    assert "<b>公安部规定" not in page


def test_staff_bundle_page_links_its_member_items(client: TestClient, bundled: Catalogue) -> None:
    page = client.get("/staff/items/enterprise-opening").text
    for member in bundled.members(bundled.bundles["enterprise-opening"]):
        assert f'<a href="/staff/items/{member.id}">{member.name}</a>' in page


def test_staff_item_page_of_an_unknown_item_is_an_escaped_404(client: TestClient) -> None:
    response = client.get("/staff/items/<img src=x onerror=alert(1)>", headers=HTML)
    assert response.status_code == 404
    assert "<img" not in response.text
    assert "没有编号为“&lt;img src=x onerror=alert(1)&gt;”的事项或一件事。" in response.text


def test_static_files_are_served(client: TestClient) -> None:
    for name in ("staff.js", "staff.css", "print.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_staff_script_never_writes_markup() -> None:
    from api.app import STATIC

    script = (STATIC / "staff.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
