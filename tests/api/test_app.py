"""The application core without the index: start-up, health, body limit, admin auth, error messages."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi.testclient import TestClient
from staff_accounts import add_staff, log_in

import api.app
import api.routes.health
from api.app import create_app
from api.dialogue import RasaDialogue
from api.settings import AdminSettings, DialogueSettings, LimitsSettings, Settings
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue
from knowledge.errors import CatalogueError, Problem

TOKEN = "test-admin-token"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        admin=AdminSettings(token=TOKEN),
        dialogue=DialogueSettings(url="http://127.0.0.1:9"),
        limits=LimitsSettings(max_body_bytes=4096),
    )


def wait_for(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- health ----------------------------------------------------------------------------------------------------


def test_health_is_ok_when_knowledge_and_dialogue_are_ready(settings: Settings, bundled: Catalogue) -> None:
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "knowledge_version": bundled.version(),
        "parts": {"knowledge": "ready", "dialogue": "ready"},
    }


def test_health_is_503_while_the_dialogue_is_not_ready_then_unavailable_when_it_goes(
    settings: Settings, bundled: Catalogue
) -> None:
    dialogue = FakeDialogue(is_ready=False)
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=dialogue)) as client:
        starting = client.get("/healthz")
        assert starting.status_code == 503
        assert starting.json()["status"] == "starting"
        assert starting.json()["parts"] == {"knowledge": "ready", "dialogue": "starting"}
        dialogue.is_ready = True
        assert client.get("/healthz").status_code == 200
        dialogue.is_ready = False  # it was up and went away: not "starting" any more
        gone = client.get("/healthz")
    assert gone.status_code == 503
    assert gone.json()["status"] == "unavailable"
    assert gone.json()["parts"]["dialogue"] == "unavailable"


def test_health_answers_fast_when_the_dialogue_probe_hangs_or_fails(
    settings: Settings, bundled: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.routes.health, "READY_TIMEOUT_S", 0.05)

    class Hanging(FakeDialogue):
        async def ready(self) -> bool:
            await asyncio.sleep(60)
            return True

    class Failing(FakeDialogue):
        async def ready(self) -> bool:
            raise RuntimeError("boom")

    for dialogue in (Hanging(), Failing()):
        with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=dialogue)) as client:
            started = time.monotonic()
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["parts"]["dialogue"] == "starting"
        assert time.monotonic() - started < 5


def test_liveness_and_readiness_never_wait_on_the_dialogue_engine(settings: Settings, bundled: Catalogue) -> None:
    class Hanging(FakeDialogue):
        async def ready(self) -> bool:
            await asyncio.sleep(60)
            return True

    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=Hanging())) as client:
        started = time.monotonic()
        assert client.get("/livez").json() == {"status": "alive"}
        ready = client.get("/readyz")
        assert time.monotonic() - started < 1.0  # the hanging engine was not asked
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "knowledge_version": bundled.version()}


def test_startup_does_not_wait_for_the_knowledge(
    settings: Settings, bundled: Catalogue, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    settings = settings.model_copy(update={"paths": PathSettings(data_dir=tmp_path)})
    add_staff(tmp_path)  # a clerk opens the lookup page while the knowledge loads
    release = threading.Event()
    calls = []

    def slow_open_at(root, extra=(), **kwargs):
        calls.append((root, list(extra)))
        release.wait(10)
        return CatalogueHolder(bundled)

    monkeypatch.setattr(api.app.KnowledgeHolder, "open_at", staticmethod(slow_open_at))
    with TestClient(create_app(settings, dialogue=FakeDialogue())) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {
            "status": "starting",
            "knowledge_version": None,
            "parts": {"knowledge": "starting", "dialogue": "ready"},
        }
        assert client.get("/readyz").status_code == 503 and client.get("/livez").status_code == 200
        log_in(client)
        page = client.get("/staff", headers={"accept": "text/html"})
        assert page.status_code == 503
        assert "事项知识库正在加载" in page.text
        loading = client.get("/api/v1/items", params={"q": "sfz"})
        assert loading.status_code == 503
        assert loading.json() == {"detail": "the knowledge base is still loading; try again in a few seconds"}
        assert loading.headers["retry-after"] == "5"
        release.set()
        wait_for(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/api/v1/items", params={"q": "sfz"}).status_code == 200
    assert calls == [(settings.paths.data_dir / "index", [])]


def test_a_catalogue_refused_at_startup_shows_as_unavailable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(root, extra=(), **kwargs):
        raise CatalogueError([Problem("E010", "items/x.yaml", 3, "X", "name", {"reason": "bad"})])

    monkeypatch.setattr(api.app.KnowledgeHolder, "open_at", staticmethod(refuse))
    with TestClient(create_app(settings, dialogue=FakeDialogue())) as client:
        wait_for(lambda: client.get("/healthz").json()["parts"]["knowledge"] == "unavailable")
        assert client.get("/healthz").json()["status"] == "unavailable"
        response = client.get("/api/v1/items/birth-registration")
        assert response.status_code == 503
        assert response.json()["detail"] == "the knowledge base failed to load; see the server log"


def test_without_a_dialogue_the_rasa_one_is_used_and_closed(settings: Settings, bundled: Catalogue) -> None:
    app = create_app(settings, holder=CatalogueHolder(bundled))
    with TestClient(app) as client:
        rasa = (
            app.state.assistant.dialogue.inner.engine
        )  # behind the recorder and the guides, which answer while it is down
        assert isinstance(rasa, RasaDialogue)
        assert rasa.url == "http://127.0.0.1:9"
        # nothing listens there: not ready yet
        assert client.get("/healthz").json()["parts"]["dialogue"] == "starting"
    assert app.state.assistant is None
    assert rasa._client.is_closed


def test_search_follows_a_reloaded_catalogue(settings: Settings, bundled: Catalogue) -> None:
    holder = CatalogueHolder(bundled)
    with TestClient(create_app(settings, holder=holder, dialogue=FakeDialogue())) as client:
        assert client.get("/api/v1/items", params={"q": "hz"}).json()["count"] > 0
        smaller = Catalogue(infos=bundled.infos, items={"birth-registration": bundled.items["birth-registration"]})
        holder.current = CatalogueHolder(smaller).current  # what a reload does: a new snapshot
        assert client.get("/api/v1/items", params={"q": "hz"}).json() == {"data": [], "count": 0}
        assert client.get("/api/v1/items", params={"q": "cs"}).json()["data"][0]["id"] == "birth-registration"


def test_two_applications_keep_their_own_state(settings: Settings, bundled: Catalogue) -> None:
    first = create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue(is_ready=True))
    second = create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue(is_ready=False))
    with TestClient(first) as one, TestClient(second) as other:
        assert one.get("/healthz").status_code == 200
        assert other.get("/healthz").status_code == 503


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings, bundled: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())) as client:
        yield client


def test_a_huge_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/api/v1/items/birth-registration/checklist", content=b"{" + b" " * 10_000 + b"}")
    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large: at most 4096 bytes are accepted"}


def test_rasas_action_calls_on_loopback_are_not_held_to_the_public_limit(client: TestClient) -> None:
    # Rasa posts the whole session with each action call: a long conversation's call is far above the public limit
    events = [{"event": "user", "text": "身份证丢了怎么办" * 20} for _ in range(50)]
    call = {"next_action": "action_that_does_not_exist", "sender_id": "web-x", "tracker": {"events": events}}
    response = client.post("/webhook", json=call)
    assert response.status_code == 404 and "action_that_does_not_exist" in response.text  # read, not refused
    # the same body at a public door is refused
    assert client.post("/api/v1/items/birth-registration/checklist", json=call).status_code == 413


def test_a_huge_streamed_body_without_length_is_refused_with_413(client: TestClient) -> None:
    def chunks():
        for _ in range(10):
            yield b" " * 1000

    response = client.post(
        "/api/v1/items/birth-registration/checklist",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "at most 4096 bytes" in response.json()["detail"]


def test_malformed_json_says_where(client: TestClient) -> None:
    response = client.post(
        "/api/v1/items/birth-registration/checklist",
        content=b'{"answers": {"parents_married": "yes",}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("invalid request: body: malformed JSON: Expecting property name")
    assert body["errors"][0]["field"] == "body"


def test_wrong_types_name_the_field_and_the_reason(client: TestClient) -> None:
    response = client.post("/api/v1/items/birth-registration/checklist", json={"answers": ["yes"]})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "invalid request: answers: Input should be a valid dictionary"
    assert body["errors"] == [
        {"field": "answers", "in": "body", "reason": "Input should be a valid dictionary", "type": "dict_type"}
    ]


def test_unknown_fields_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/items/birth-registration/checklist", json={"answer": {"x": "y"}})
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: answer: Extra inputs are not permitted"


def test_a_missing_body_is_named(client: TestClient) -> None:
    response = client.post("/api/v1/ask")
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: body: a JSON body is required"


def test_out_of_range_query_parameters(client: TestClient) -> None:
    response = client.get("/api/v1/items", params={"limit": 1000})
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request: limit: Input should be less than or equal to 100"
    response = client.get("/api/v1/items", params={"limit": "many"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_unknown_paths_answer_json_to_programs_and_a_page_to_browsers(client: TestClient) -> None:
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}
    page = client.get("/nothing/<script>", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "页面不存在" in page.text
    assert "<script>" not in page.text


# --- admin auth ------------------------------------------------------------------------------------------------


def test_reload_needs_the_admin_token(client: TestClient) -> None:
    missing = client.post("/api/v1/admin/reload")
    assert missing.status_code == 401
    assert missing.json() == {"detail": "admin token required: send 'Authorization: Bearer <ADMIN_TOKEN>'"}
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/v1/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "wrong admin token"}
    basic = client.post("/api/v1/admin/reload", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_reload_with_the_token_reports_the_version(client: TestClient, bundled: Catalogue) -> None:
    response = client.post("/api/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {
        "status": "reloaded",
        "knowledge_version": bundled.version(),
        "previous_version": bundled.version(),
    }


def test_openapi_documents_every_route_with_a_tag_and_summary(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ours = {
        ("/healthz", "get"),
        ("/api/v1/ask", "post"),
        ("/api/v1/items", "get"),
        ("/api/v1/items/{item_id}", "get"),
        ("/api/v1/items/{item_id}/checklist", "post"),
        ("/notice/{item_id}", "get"),
        ("/staff", "get"),
        ("/staff/items/{item_id}", "get"),
        ("/api/v1/admin/reload", "post"),
    }
    for path, method in ours:
        operation = schema["paths"][path][method]
        assert operation["tags"] and operation["summary"], (path, method)
    assert client.get("/docs").status_code == 200


# --- structure -------------------------------------------------------------------------------------------------


def test_routes_import_dependencies_never_the_application() -> None:
    import ast
    from pathlib import Path

    routes = Path(api.app.__file__).parent / "routes"
    imported = {
        path.name: {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("api")
        }
        for path in routes.glob("*.py")
    }
    assert not {name: modules for name, modules in imported.items() if "api.app" in modules}
    assert not {name: modules for name, modules in imported.items() if any(m.startswith("api.routes") for m in modules)}
    assert {"api.deps"} <= imported["chat.py"] and {"api.deps"} <= imported["staff.py"]


def test_state_is_built_at_start_and_released_at_shutdown(settings: Settings, bundled: Catalogue) -> None:
    app = create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())
    assert getattr(app.state, "assistant", None) is None  # nothing is built before the application starts
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert app.state.assistant.knowledge.current() is not None
    assert app.state.assistant is None


def test_the_web_chat_cannot_drive_a_wechat_followers_conversation(client: TestClient) -> None:
    response = client.post("/api/v1/chat", json={"sender_id": "wx:oAbCdEf123", "message": "帮我生成材料清单"})
    # answered, but in a new conversation of its own (tests/api/test_chat_senders.py)
    assert response.status_code == 200
    issued = response.json()["sender_id"]
    assert issued.startswith("w.") and "oAbCdEf123" not in issued
    echoed = client.post("/api/v1/chat", json={"sender_id": issued, "message": "你好"})
    assert echoed.status_code == 200 and echoed.json()["sender_id"] == issued
    assert echoed.json()["messages"][0]["text"] == "echo: 你好"


@pytest.mark.integration
def test_while_the_dialogue_engine_is_down_questions_are_answered_from_the_guides(settings: Settings, holder) -> None:
    app = create_app(settings, holder=holder)  # its Rasa at 127.0.0.1:9, where nothing listens
    with TestClient(app) as client:
        said = client.post("/api/v1/chat", json={"message": "身份证丢了怎么办"})
        assert said.status_code == 200
        text = said.json()["messages"][0]["text"]
        assert "【居民身份证补领】" in text and "对话服务正在恢复" in text
        sender = said.json()["sender_id"]
        button = client.post("/api/v1/chat", json={"sender_id": sender, "message": "/ask_checklist"})
        assert button.status_code == 200 and "直接输入您的问题" in button.json()["messages"][0]["text"]


# --- first run ---------------------------------------------------------------------------------------------------


def test_an_application_with_no_staff_account_says_how_to_make_the_first_and_stops_saying_it_once_there_is_one(
    settings: Settings, bundled: Catalogue, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"paths": PathSettings(data_dir=tmp_path)})
    with (
        caplog.at_level("WARNING", logger="api.app"),
        TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())),
    ):
        pass
    assert "no staff account yet: create the first with `assistant staff add admin --role admin`" in caplog.text
    caplog.clear()
    add_staff(tmp_path)
    with (
        caplog.at_level("WARNING", logger="api.app"),
        TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=FakeDialogue())),
    ):
        pass
    assert "no staff account" not in caplog.text
