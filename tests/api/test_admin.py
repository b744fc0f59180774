"""``POST /api/v1/admin/reload`` over real knowledge: a broken catalogue is refused and the old one keeps serving."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_doubles import FakeDialogue
from conftest import REPO
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import AdminSettings, Settings
from assistant.serving.knowledge import KnowledgeHolder
from knowledge.catalogue import BUNDLED

pytestmark = pytest.mark.integration

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEM = Path("items/exit-entry/ordinary-passport-issuance.yaml")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled catalogue (same content, so it opens the same index under var/index)."""
    root = tmp_path_factory.mktemp("reload") / "catalogue"
    shutil.copytree(BUNDLED, root)
    return root


@pytest.fixture(scope="module")
def client(catalogue: Path) -> Iterator[TestClient]:
    holder = KnowledgeHolder.open_at(REPO / "var" / "index", [catalogue], bundled=False)
    app = create_app(Settings(admin=AdminSettings(token=TOKEN)), holder=holder, dialogue=FakeDialogue())
    with TestClient(app) as client:
        yield client


def test_reload_of_an_unchanged_catalogue_succeeds(client: TestClient) -> None:
    version = client.get("/healthz").json()["knowledge_version"]
    response = client.post("/api/v1/admin/reload", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"status": "reloaded", "knowledge_version": version, "previous_version": version}


def test_reload_of_a_broken_catalogue_is_refused_and_the_old_one_keeps_answering(
    client: TestClient, catalogue: Path
) -> None:
    before = client.get("/healthz").json()["knowledge_version"]
    path = catalogue / ITEM
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("item_type: 行政许可", "item_type: 行政批准", 1), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != original
    try:
        response = client.post("/api/v1/admin/reload", headers=AUTH)
    finally:
        path.write_text(original, encoding="utf-8")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "catalogue refused (1 problem(s)); the running knowledge keeps serving"
    assert body["knowledge_version"] == before
    [problem] = body["details"]
    assert problem["file"].endswith(str(ITEM))
    assert problem["line"] == original.splitlines().index("item_type: 行政许可") + 1
    assert problem["item"] == "普通护照签发"
    assert problem["field"] == "item_type"
    assert problem["code"] == "E010"
    assert problem["reason"].startswith("Input should be '行政许可', '行政确认'")  # the allowed values
    assert problem["reason"].endswith("got '行政批准'")
    assert body["problems"] == [
        f"{problem['file']}:{problem['line']}: 普通护照签发: item_type: [E010] {problem['reason']}"
    ]
    # the running knowledge still answers, at the same version
    assert client.get("/healthz").json()["knowledge_version"] == before
    answer = client.post("/api/v1/ask", json={"query": "办护照要带什么"}).json()
    assert answer["item"] == "普通护照签发"
    assert client.get("/api/v1/items", params={"q": "hz"}).json()["data"][0]["name"] == "普通护照签发"
