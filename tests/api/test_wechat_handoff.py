"""Human handoff on WeChat, driven as WeChat drives it: signed XML callbacks from a follower, a clerk in the console,
and a local fake of WeChat's customer-service message API recording what the follower is sent. The clerk's reply
goes out only within 48 hours of the follower's last message (WeChat's rule); after that the clerk is told to call
back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from app_doubles import CatalogueHolder
from fastapi.testclient import TestClient
from sqlalchemy import update
from staff_accounts import add_staff, log_in
from test_handoffs_api import ITEM, WEDNESDAY_10, HandoffDialogue
from test_wechat import APPID, OPENID, SECRET, TOKEN, FakeWeChatApi, post, reply_of, text_xml

from api.app import create_app
from api.settings import Settings, WeChatSettings
from assistant.console import audit
from assistant.console.models import Message, utcnow
from assistant.replies import Replies
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue

FOLLOWER = f"wx:{OPENID}"


@pytest.fixture
def dialogue(bundled: Catalogue) -> HandoffDialogue:
    return HandoffDialogue(Replies.load(bundled.infos[0].contacts))


@pytest.fixture
def fake_api(fake_api_server: tuple[FakeWeChatApi, str]) -> tuple[FakeWeChatApi, str]:
    fake_api_server[0].reset()
    return fake_api_server


@pytest.fixture(scope="module")
def fake_api_server() -> Iterator[tuple[FakeWeChatApi, str]]:
    from app_doubles import serving

    fake = FakeWeChatApi()
    with serving(lambda port: fake.app) as url:
        yield fake, url + "/"


@pytest.fixture
def client(bundled: Catalogue, tmp_path: Path, dialogue: HandoffDialogue, fake_api) -> Iterator[TestClient]:
    _, api_url = fake_api
    add_staff(tmp_path, "wang")
    wechat = WeChatSettings(token=TOKEN, appid=APPID, secret=SECRET, api_url=api_url, reply_deadline=3.0)
    settings = Settings(paths=PathSettings(data_dir=tmp_path), wechat=wechat)
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=dialogue)) as test_client:
        test_client.app.state.assistant.dialogue.clock = lambda: WEDNESDAY_10
        yield test_client


class Follower:
    """A WeChat follower: each message a new MsgId, signed like WeChat signs."""

    def __init__(self, client: TestClient):
        self.client = client
        self.msg_id = 61_000_000_000_000_000

    def says(self, text: str) -> str:
        self.msg_id += 1
        return reply_of(post(self.client, text_xml(text, msg_id=self.msg_id)))["Content"]


def test_a_follower_asks_for_a_human_and_the_clerks_reply_arrives_by_customer_service_message(
    client: TestClient, dialogue: HandoffDialogue, fake_api
) -> None:
    fake, _ = fake_api
    follower = Follower(client)
    assert follower.says("结婚登记要带什么").startswith("echo: 结婚登记要带什么")
    queued = follower.says("转人工")
    assert queued.startswith("已为您转接人工服务") and "12345" in queued

    told = follower.says("我是再婚，要带什么")  # for staff: the passive reply says so
    assert "已转给工作人员" in told
    assert dialogue.messages() == ["结婚登记要带什么", "转人工"]

    csrf = {"X-CSRF-Token": log_in(client, "wang")["csrf_token"]}
    handoff = client.get("/api/v1/handoffs").json()[0]
    assert handoff["channel"] == "wechat" and handoff["item_id"] == ITEM
    claimed = client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=csrf).json()
    assert [m["text"] for m in claimed["messages"] if m["author"] == "person"] == ["我是再婚，要带什么"]

    reply = client.post(f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": "请带离婚证。"}, headers=csrf)
    assert reply.status_code == 200, reply.text
    sent = fake.wait_for_sent(1)
    assert [(m["touser"], m["msgtype"], m["text"]["content"]) for m in sent] == [
        (OPENID, "text", "【工作人员 wang】请带离婚证。")
    ]

    assert "已转给工作人员" in follower.says("好的，谢谢")
    released = client.post(f"/api/v1/handoffs/{handoff['id']}/release", headers=csrf)
    assert released.status_code == 200
    sent = fake.wait_for_sent(2)
    assert "工作人员已结束本次人工服务" in sent[1]["text"]["content"]  # told on WeChat too
    assert follower.says("离婚登记在哪里办").startswith("echo: 离婚登记在哪里办")  # the assistant answers again


def test_after_48_hours_of_silence_the_clerk_is_told_to_call_back(
    client: TestClient, dialogue: HandoffDialogue, fake_api
) -> None:
    fake, _ = fake_api
    client.app.state.assistant.dialogue.clock = lambda: datetime(2026, 3, 4, 22, 0, tzinfo=WEDNESDAY_10.tzinfo)
    follower = Follower(client)
    follower.says("转人工")
    assert "139****5678" in follower.says("13912345678")  # a number for the call-back, after hours

    db = client.app.state.assistant.console
    with db.session() as session:  # the follower wrote 49 hours ago
        session.execute(update(Message).values(created_at=utcnow() - timedelta(hours=49)))

    csrf = {"X-CSRF-Token": log_in(client, "wang")["csrf_token"]}
    handoff = client.get("/api/v1/handoffs").json()[0]
    claimed = client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=csrf).json()
    assert claimed["phone"] == "13912345678"
    refused = client.post(f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": "您好"}, headers=csrf)
    assert refused.status_code == 422
    assert refused.json()["code"] == "wechat_window" and "48 hours" in refused.json()["detail"]
    assert fake.sent == [] and fake.send_attempts == 0  # nothing tried
    assert "handoff.reply.refused" in [entry.action for entry in audit.entries(db)]

    # released without a message: WeChat would refuse it too
    assert client.post(f"/api/v1/handoffs/{handoff['id']}/release", headers=csrf).status_code == 200
    assert fake.send_attempts == 0


def test_a_reply_wechat_refuses_is_not_recorded_as_sent(client: TestClient, fake_api) -> None:
    fake, _ = fake_api
    follower = Follower(client)
    follower.says("转人工")
    csrf = {"X-CSRF-Token": log_in(client, "wang")["csrf_token"]}
    handoff = client.get("/api/v1/handoffs").json()[0]
    client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=csrf)
    fake.failures = 10  # WeChat busy on every try
    failed = client.post(f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": "您好"}, headers=csrf)
    assert failed.status_code == 502 and failed.json()["code"] == "wechat_refused"
    conversation = client.get(f"/api/v1/handoffs/{handoff['id']}").json()
    assert [m for m in conversation["messages"] if m["author"] == "clerk"] == []
    assert conversation["first_reply_at"] is None  # the waiting time goes on in analytics
