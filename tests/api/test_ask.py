"""``POST /api/v1/ask`` over the real index: the same JSON as ``assistant ask --json``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_doubles import FakeDialogue
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from assistant.serving.knowledge import KnowledgeHolder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(holder: KnowledgeHolder) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), holder=holder, dialogue=FakeDialogue())) as client:
        yield client


def test_ask_answers_from_the_guide(client: TestClient, holder: KnowledgeHolder) -> None:
    response = client.post("/api/v1/ask", json={"query": "身份证丢了咋办"})
    assert response.status_code == 200
    body = response.json()
    assert body == holder.current.qa.ask("身份证丢了咋办").model_dump()
    assert body["item"] == "居民身份证补领"
    assert body["item_id"] == "resident-id-card-reissue"
    assert body["kind"] == "answer"
    assert body["version"]


def test_ask_follows_up_on_the_conversations_item(client: TestClient) -> None:
    body = client.post("/api/v1/ask", json={"query": "那要多少钱", "context_item": "普通护照签发"}).json()
    assert body["item"] == "普通护照签发"
    assert body["element"] == "fee"


def test_ask_refuses_politely_out_of_scope(client: TestClient) -> None:
    body = client.post("/api/v1/ask", json={"query": "今天股票会涨吗"}).json()
    assert body["kind"] == "out_of_scope"
    assert "12345" in body["answer"]


def test_ask_takes_odd_input_without_error(client: TestClient) -> None:
    for query in ("", "<script>alert(1)</script>", "？？？", "身份證遺失"):
        response = client.post("/api/v1/ask", json={"query": query})
        assert response.status_code == 200, query
        assert response.json()["query"] == query


def test_ask_refuses_an_overlong_question(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"query": "办" * 1001})
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: query: String should have at most 1000 characters"


def test_a_lone_surrogate_escape_in_a_question_is_read_as_a_replacement_character(client: TestClient) -> None:
    # JSON may carry \ud800, which no UTF-8 text holds: it was refused (422 "unable to parse raw data as a unicode
    # string"); the rest of the question is still answered
    raw = b'{"query": "\\ud800\\u8eab\\u4efd\\u8bc1\\u4e22\\u4e86\\u548b\\u529e"}'  # \ud800身份证丢了咋办
    response = client.post("/api/v1/ask", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["query"] == "\ufffd身份证丢了咋办"
    assert response.json()["item"] == "居民身份证补领"
