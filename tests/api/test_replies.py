"""The assistant's sentences live in one keyed file (``assistant/replies.yaml``) and name the deployment's own
contacts (``contacts`` of ``catalogue.yaml``): no Python file says a Chinese sentence, every key the code names
exists, and a city that changes its hotline hears it in the refusal, the handoff, the pages, the widget and WeChat.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from app_doubles import CatalogueHolder, FakeDialogue
from conftest import INFO, ITEM, REPO, WriteCatalogue
from fastapi.testclient import TestClient

from api.app import create_app
from api.dialogue import DialogueUnavailable
from api.routes.widget import SAID
from api.settings import Settings
from api.wechat import MENU_REPLIES, WeChatChannel
from assistant.replies import NATIONAL, REPLIES, Replies
from knowledge.catalogue import Catalogue
from knowledge.loader import load_catalogues
from knowledge.schema import Contacts

SPEAKING_CODE = ["api", "actions", "assistant/dialogue", "assistant/serving"]
HAN = re.compile(r"[\u4e00-\u9fff]")
LETTERS = re.compile(r"[A-Za-z]")
REGEX_CALLS = {"compile", "sub", "subn", "match", "fullmatch", "search", "findall", "finditer", "split"}
DOCUMENTATION_KEYWORDS = {"description", "examples", "summary", "title"}  # API field and route documentation
# names whose Chinese is what people type (NLU input), not what the assistant says
WHAT_PEOPLE_TYPE = {
    "CHECKLIST_TEMPLATES",  # training examples of a checklist request (assistant/dialogue/training.py)
    "MENU_MESSAGES",  # a WeChat menu click, sent to the dialogue as if typed
    "MORE_WORDS",  # "更多" and its synonyms, typed to read on in WeChat
    "_CHINESE_DIGITS",  # "第二个": numbers as typed
}
CITY = Contacts(hotline="96196", hotline_name="示例城市服务热线", hotline_hours="周一至周日 8:00-20:00",
                service_centre="示例城市市民中心")  # fmt: skip


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
        # an attribute's docstring: a string right after an assignment
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for before, after in itertools.pairwise(body):
                if (
                    isinstance(before, ast.Assign | ast.AnnAssign)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                ):
                    found.add(id(after.value))
    return found


def _allowed_subtrees(tree: ast.AST) -> set[int]:
    allowed: set[int] = set()

    def allow(node: ast.AST) -> None:
        allowed.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            owner = getattr(node.func, "value", None)
            if name in REGEX_CALLS and isinstance(owner, ast.Name) and owner.id == "re" and node.args:
                allow(node.args[0])
            for keyword in node.keywords:
                if keyword.arg in DOCUMENTATION_KEYWORDS:
                    allow(keyword.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in WHAT_PEOPLE_TYPE for t in targets) and node.value:
                allow(node.value)
    return allowed


def chinese_sentences(path: Path, root: Path = REPO) -> list[str]:
    """``file:line: text`` of every string the file would say in Chinese (f-strings read whole)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _allowed_subtrees(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            skip.update(id(part) for part in node.values)
            text = "".join(p.value for p in node.values if isinstance(p, ast.Constant) and isinstance(p.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        han = len(HAN.findall(text))
        # one character is grammar (的, 十), not a sentence; a Chinese term inside English text is documentation
        if han > 1 and han >= len(LETTERS.findall(text)):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {text!r}")
    return found


def python_files() -> list[Path]:
    return sorted(p for folder in SPEAKING_CODE for p in (REPO / folder).rglob("*.py"))


def test_no_python_file_says_a_chinese_sentence() -> None:
    found = [line for path in python_files() for line in chinese_sentences(path)]
    assert found == [], "move these sentences into assistant/replies.yaml:\n" + "\n".join(found)


def test_the_check_finds_a_sentence_where_one_is_written(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        'import re\nWORD = re.compile("办理|申请")\n\ndef f(name):\n    return f"好的，为您生成“{name}”的清单。"\n',
        encoding="utf-8",
    )
    assert chinese_sentences(source, tmp_path) == ["probe.py:5: '好的，为您生成“”的清单。'"]


def reply_keys_named_in_code() -> set[str]:
    """Keys in ``replies("key", …)`` calls (and ``.replies("key")``) of the code that speaks."""
    keys = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            called = getattr(func, "func", None)  # self.replies()("key")
            named = name == "replies" or getattr(called, "attr", "") == "replies"
            first = node.args[0]
            if named and isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
            elif named and isinstance(first, ast.IfExp):
                keys |= {b.value for b in (first.body, first.orelse) if isinstance(b, ast.Constant)}
    return keys


def test_every_reply_the_code_names_is_in_the_file() -> None:
    texts = yaml.safe_load(REPLIES.read_text(encoding="utf-8"))
    named = reply_keys_named_in_code() | set(MENU_REPLIES.values()) | set(SAID.values())
    assert {"handoff", "checklist_start", "wechat_busy", "page_no_entry"} <= named  # the scan sees the calls
    assert sorted(named - set(texts)) == []


def test_every_reply_loads_and_fills_in_with_a_citys_contacts() -> None:
    replies = Replies.load(CITY)
    context = {"region": "示例市", "human_channel": "", "count": 3, "url": "https://x", "name": "出生登记"}
    context |= {"first": "甲", "second": "乙", "what": "", "basis": "法", "version": "1", "item": "甲", "phone": "1"}
    context |= {
        "number": 1,
        "total": 3,
        "question": "问",
        "regions": "示例市",
        "id": "x",
        "reason": "错",
        "status": 503,
    }
    context |= {"service": "工作居住证", "element": "受理条件", "facts": "离休、退休"}
    context |= {"when": "明天 9:00", "text": "您好"}  # human handoff
    said = {key: replies(key, **context) for key in replies.texts}
    assert all(text.strip() for text in said.values())
    assert not [key for key, text in said.items() if "12345" in text]  # the city's hotline everywhere
    assert "96196" in said["human_channel"] and "周一至周日 8:00-20:00" in said["human_channel"]


# --- a city's contacts, from its catalogue.yaml, in what the assistant says --------------------------------------


@pytest.fixture
def city_catalogue(write_catalogue: WriteCatalogue, item_data: dict) -> Catalogue:
    info = {**INFO, "contacts": CITY.model_dump()}
    return load_catalogues([write_catalogue({ITEM: item_data}, info=info)], bundled=False)


@pytest.fixture
def city_client(city_catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), holder=CatalogueHolder(city_catalogue), dialogue=FakeDialogue())) as client:
        yield client


def test_a_citys_pages_name_its_hotline(city_client: TestClient, city_catalogue: Catalogue) -> None:
    item_id = next(iter(city_catalogue.items))
    notice = city_client.get(f"/notice/{item_id}").text
    assert "以受理窗口最终审核为准。示例城市服务热线：96196。" in notice
    missing = city_client.get("/notice/no-such-item", headers={"accept": "text/html"})
    assert missing.status_code == 404
    assert "没有编号为“no-such-item”的事项或一件事。" in missing.text
    assert "如需帮助请拨打 96196 示例城市服务热线。" in missing.text
    assert "96196" in city_client.get("/").text


def test_a_citys_widget_greets_with_its_hotline(city_client: TestClient) -> None:
    script = city_client.get("/widget.js").text
    said = json.loads(re.search(r"var SAID = (\{.*?\});", script).group(1))
    assert said["welcome"].endswith("需要人工服务请拨打 96196 示例城市服务热线。")
    assert "错误代码 {status}" in said["serverError"] and "96196" in said["serverError"]


def test_a_citys_wechat_apology_names_its_hotline(city_catalogue: Catalogue) -> None:
    class Down:
        async def send(self, sender_id, message):
            raise DialogueUnavailable("down")

    replies = Replies.load(city_catalogue.infos[0].contacts)
    channel = WeChatChannel(token="t", replies=lambda: replies)
    busy = asyncio.run(channel.answer("openid", "身份证丢了怎么办", Down()))
    assert busy == "抱歉，系统暂时繁忙，请稍后再试。如有急事，请拨打 96196 示例城市服务热线。"


def test_pages_before_the_knowledge_is_loaded_use_the_default_contacts(
    monkeypatch: pytest.MonkeyPatch, bundled: Catalogue, tmp_path: Path
) -> None:
    from staff_accounts import add_staff, log_in

    from assistant.serving.settings import PathSettings

    add_staff(tmp_path)  # a clerk opens the lookup page while the knowledge loads
    import threading

    import api.app

    release = threading.Event()

    def slow_open_at(root, extra=(), **kwargs):
        release.wait(10)
        return CatalogueHolder(bundled)

    monkeypatch.setattr(api.app.KnowledgeHolder, "open_at", staticmethod(slow_open_at))
    try:
        settings = Settings(paths=PathSettings(data_dir=tmp_path))
        with TestClient(create_app(settings, dialogue=FakeDialogue())) as client:
            log_in(client)
            page = client.get("/staff", headers={"accept": "text/html"})
    finally:
        release.set()
    assert page.status_code == 503
    assert "事项知识库正在加载或暂不可用，请稍候几秒后刷新本页。" in page.text
    assert f"如需帮助请拨打 {NATIONAL.hotline} {NATIONAL.hotline_name}。" in page.text


@pytest.mark.integration
def test_a_citys_refusal_and_handoff_name_its_hotline(
    write_catalogue: WriteCatalogue, item_data: dict, tmp_path: Path
) -> None:
    """The whole way: catalogue.yaml -> index -> the answerer's replies -> the refusal and the handoff action."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import Services
    from actions.answer import ActionHandoff
    from assistant.serving.knowledge import KnowledgeHolder

    directory = write_catalogue({ITEM: item_data}, info={**INFO, "contacts": CITY.model_dump()})
    knowledge = KnowledgeHolder([directory], tmp_path / "index").reload()
    refusal = knowledge.qa.ask("明天的天气怎么样")
    assert refusal.kind == "out_of_scope"
    assert "96196示例城市服务热线" in refusal.answer and "示例城市市民中心" in refusal.answer
    assert "12345" not in refusal.answer

    tracker = Tracker("city", {"item_id": item_data["id"]}, {"text": "转人工"}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff(Services(knowledge=lambda: knowledge)).run(dispatcher, tracker, {}))
    said, handoff = dispatcher.messages  # the words, then what the channels open a handoff on
    assert handoff["custom"] == {"meta": {"outcome": "handoff", "item_id": item_data["id"]}}
    assert said["text"].startswith(
        "目前不能在线转接人工，如需人工服务，请拨打 96196 示例城市服务热线（周一至周日 8:00-20:00）"
    )
    assert f"“{item_data['name']}”的咨询电话：" in said["text"]
