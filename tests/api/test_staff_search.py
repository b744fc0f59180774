"""``GET /staff/search`` and the ``/staff`` page: the staff search reads a query as question answering does (the
served index's normaliser) and finds entries by material name, saying which material matched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi.testclient import TestClient
from staff_accounts import add_staff, log_in

from api.app import create_app
from api.settings import Settings
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue

ID_CARD_ITEMS = {"居民身份证补领", "居民身份证换领", "居民身份证首次申领", "临时居民身份证申领"}


@pytest.fixture(scope="module")
def client(bundled: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir)
    settings = Settings(paths=PathSettings(data_dir=data_dir))
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        log_in(client)  # the lookup is for logged-in window staff
        yield client


def search(client: TestClient, q: str, **params) -> dict:
    response = client.get("/staff/search", params={"q": q, **params})
    assert response.status_code == 200
    return response.json()


def test_a_typo_finds_the_resident_id_card_items(client: TestClient) -> None:
    body = search(client, "身分证")
    assert {row["name"] for row in body["data"][:4]} == ID_CARD_ITEMS
    assert body["data"][0] == {
        "id": "resident-id-card-reissue",
        "name": "居民身份证补领",
        "kind": "item",
        "department": "示例市公安局各区分局（户政部门）",
        "material": None,
    }


def test_a_material_finds_the_items_that_ask_for_it_and_names_it(client: TestClient) -> None:
    rows = search(client, "出生医学证明")["data"]
    birth = next(row for row in rows if row["name"] == "出生登记")
    assert birth["material"] == "出生医学证明"
    assert rows[0]["material"] == "出生医学证明"
    assert any(row["kind"] == "bundle" and row["name"] == "新生儿出生一件事" for row in rows)


def test_pinyin_initials_still_work(client: TestClient) -> None:
    rows = search(client, "sfz")["data"]
    assert {row["name"] for row in rows} == ID_CARD_ITEMS
    assert rows[0]["name"] == "居民身份证补领"


def test_limit_count_and_department(client: TestClient) -> None:
    body = search(client, "身份证", limit=3)
    assert len(body["data"]) == 3 and body["count"] > 4  # the ID card items, then the items asking for one
    rows = search(client, "身份证", department="公安机关出入境管理部门", limit=100)["data"]
    assert rows and all(row["material"] for row in rows)  # no passport item is named 身份证 …
    assert {row["department"] for row in rows} == {"公安机关出入境管理部门"}  # … but they ask for one


def test_the_search_page_says_which_material_matched(client: TestClient) -> None:
    page = client.get("/staff", params={"q": "出生医学证明"}).text
    results = page[page.index('<ol id="results"') :]
    assert '<span class="material">申请材料含：出生医学证明</span>' in results
    assert results.index("出生登记") < results.index("申请材料含：出生医学证明")


def test_the_search_page_lists_typo_matches_without_javascript(client: TestClient) -> None:
    page = client.get("/staff", params={"q": "身分证"}).text
    assert 'href="/staff/items/resident-id-card-reissue"' in page


def test_the_items_api_rows_keep_their_fields(client: TestClient) -> None:
    # the public search API finds by material too, and its rows stay the entry's four fields
    rows = client.get("/api/v1/items", params={"q": "出生医学证明"}).json()["data"]
    assert "出生登记" in [row["name"] for row in rows]
    assert all(set(row) == {"id", "name", "kind", "department"} for row in rows)


@pytest.mark.integration
def test_with_the_index_the_search_repairs_as_question_answering_does(holder, tmp_path) -> None:
    """The served index's normaliser knows the words of the names (结婚, 工伤): it repairs what the catalogue's
    whole names alone cannot (tests/assistant/retrieval/test_lookup_normalised.py: 结昏 finds nothing there)."""
    add_staff(tmp_path)
    app = create_app(Settings(paths=PathSettings(data_dir=tmp_path)), holder=holder, dialogue=FakeDialogue())
    with TestClient(app) as client:
        log_in(client)
        married = [row["name"] for row in search(client, "结昏")["data"]]
        assert "内地居民结婚登记" in married[:3]
        assert search(client, "公伤")["data"][0]["name"] == "工伤认定申请"
        assert {row["name"] for row in search(client, "身分证")["data"][:4]} == ID_CARD_ITEMS
        assert search(client, "出生医学证明")["data"][0] == {
            "id": "birth-registration",
            "name": "出生登记",
            "kind": "item",
            "department": "示例市公安局各公安派出所（户口登记机关）",
            "material": "出生医学证明",
        }
