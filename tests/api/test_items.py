"""Items API: search as you type, the whole guide, and the checklist (the engine's notice, as JSON)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ServerSettings, Settings
from assistant.dialogue.links import notice_url
from knowledge.catalogue import Catalogue
from knowledge.checklist import build_notice

PUBLIC = "https://zwzs.example.gov.cn"
BIRTH = "birth-registration"  # 出生登记: parents_married -> settle_with (yes) / non_marital_settle_with (no)


@pytest.fixture(scope="module")
def client(bundled: Catalogue) -> Iterator[TestClient]:
    settings = Settings(server=ServerSettings(public_url=PUBLIC))
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        yield client


# --- search ----------------------------------------------------------------------------------------------------


def test_search_sfz_returns_the_resident_id_card_items_first(client: TestClient) -> None:
    response = client.get("/api/v1/items", params={"q": "sfz"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["data"]) >= 4
    assert all("居民身份证" in row["name"] for row in body["data"][:4])
    assert body["data"][0] == {
        "id": "resident-id-card-reissue",
        "name": "居民身份证补领",
        "kind": "item",
        "department": "示例市公安局各区分局（户政部门）",
    }


def test_search_hz_returns_passports_first(client: TestClient) -> None:
    data = client.get("/api/v1/items", params={"q": "hz", "limit": 2}).json()["data"]
    assert [row["name"] for row in data] == ["普通护照签发", "普通护照补发"]


def test_empty_query_lists_everything_twenty_at_a_time(client: TestClient, bundled: Catalogue) -> None:
    body = client.get("/api/v1/items").json()
    assert body["count"] == len(bundled.entries())
    assert len(body["data"]) == 20
    assert len(client.get("/api/v1/items", params={"limit": 100}).json()["data"]) == min(100, body["count"])


def test_search_by_department(client: TestClient) -> None:
    body = client.get("/api/v1/items", params={"department": "公安机关出入境管理部门", "limit": 100}).json()
    assert body["count"] == 5
    assert {row["department"] for row in body["data"]} == {"公安机关出入境管理部门"}


def test_search_finds_nothing_without_error(client: TestClient) -> None:
    assert client.get("/api/v1/items", params={"q": "<script>"}).json() == {"data": [], "count": 0}


# --- guide -----------------------------------------------------------------------------------------------------


def test_item_guide_is_the_whole_model_with_its_kind(client: TestClient, bundled: Catalogue) -> None:
    body = client.get(f"/api/v1/items/{BIRTH}").json()
    assert body == {**bundled.items[BIRTH].model_dump(mode="json"), "kind": "item"}


def test_bundle_guide_is_marked_as_a_bundle(client: TestClient) -> None:
    body = client.get("/api/v1/items/enterprise-opening").json()
    assert body["kind"] == "bundle"
    assert body["name"] == "企业开办一件事"
    assert len(body["members"]) >= 2


def test_unknown_item_is_404_with_a_clear_message(client: TestClient) -> None:
    response = client.get("/api/v1/items/no-such-item")
    assert response.status_code == 404
    assert response.json() == {"detail": "no item or bundle 'no-such-item'; GET /api/v1/items lists the ids"}


# --- checklist -------------------------------------------------------------------------------------------------


def checklist(client: TestClient, item_id: str, answers: dict):
    return client.post(f"/api/v1/items/{item_id}/checklist", json={"answers": answers})


def test_checklist_of_a_two_level_scenario_equals_the_engine(client: TestClient, bundled: Catalogue) -> None:
    answers = {"parents_married": "no", "non_marital_settle_with": "father"}
    response = checklist(client, BIRTH, answers)
    assert response.status_code == 200
    body = response.json()
    notice = build_notice(bundled, BIRTH, answers)
    assert {k: v for k, v in body.items() if k not in {"text", "print_url"}} == notice.model_dump(mode="json")
    assert body["text"] == notice.to_text()
    assert body["print_url"] == notice_url(PUBLIC, BIRTH, answers)
    assert body["print_url"].startswith(f"{PUBLIC}/notice/{BIRTH}?parents_married=no")
    # the follow-up chosen adds its material (the paternity proof for a father's settlement out of wedlock)
    assert len(body["materials"]) > len(build_notice(bundled, BIRTH, {"parents_married": "no"}).materials)


def test_follow_up_questions_are_pending_only_after_the_option_that_opens_them(client: TestClient) -> None:
    first = checklist(client, BIRTH, {}).json()
    pending = [q["id"] for q in first["pending"]]
    assert "parents_married" in pending
    assert "settle_with" not in pending and "non_marital_settle_with" not in pending
    married = checklist(client, BIRTH, {"parents_married": "yes"}).json()
    pending = [q["id"] for q in married["pending"]]
    assert "settle_with" in pending and "non_marital_settle_with" not in pending


def test_checklist_of_a_bundle_lists_shared_materials_once(client: TestClient, bundled: Catalogue) -> None:
    body = checklist(client, "enterprise-opening", {}).json()
    ids = [m["id"] for m in body["materials"]]
    assert len(ids) == len(set(ids))
    assert body == {
        **build_notice(bundled, "enterprise-opening").model_dump(mode="json"),
        "text": body["text"],
        "print_url": f"{PUBLIC}/notice/enterprise-opening",
    }


def test_a_bad_option_is_422_with_the_engines_message(client: TestClient) -> None:
    response = checklist(client, BIRTH, {"parents_married": "maybe"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "question 'parents_married' (父母是否已办理结婚登记？) has no option 'maybe'; choose one of: yes, no"
    }


def test_an_unknown_question_is_422_naming_the_questions(client: TestClient) -> None:
    response = checklist(client, BIRTH, {"<script>": "1"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "'出生登记' has no question '<script>'; its questions are: parents_married"
    )


def test_several_options_for_a_single_choice_is_422(client: TestClient) -> None:
    response = checklist(client, BIRTH, {"parents_married": ["yes", "no"]})
    assert response.status_code == 422
    assert response.json()["detail"] == "question 'parents_married' (父母是否已办理结婚登记？) takes exactly one option"


def test_checklist_of_an_unknown_item_is_404(client: TestClient) -> None:
    response = checklist(client, "no-such-item", {})
    assert response.status_code == 404
    assert "no item or bundle 'no-such-item'" in response.json()["detail"]
