"""Human handoff over the API: a person asks for a human in the web chat, the handoff waits in the clerks' inbox,
one clerk claims and replies, the person's messages reach staff instead of the assistant, the reply reaches the
person (polled, and pushed as server-sent events), the clerk hands back and the assistant answers again. Outside
working hours the person is told when staff answer and may leave a number for a call-back, which only the claiming
clerk sees. Every clerk action is in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from app_doubles import CatalogueHolder, FakeDialogue, serving
from fastapi import FastAPI
from fastapi.testclient import TestClient
from staff_accounts import add_staff, log_in

from api.app import create_app
from api.dialogue import BotMessage
from api.settings import Settings
from assistant.console import audit
from assistant.console.handoffs import CHINA
from assistant.replies import Replies
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue

ITEM = "marriage-registration"
WEDNESDAY_10 = datetime(2026, 3, 4, 10, 0, tzinfo=CHINA)  # the bundled catalogue's hotline: 工作日 9:00-17:00
WEDNESDAY_20 = datetime(2026, 3, 4, 20, 0, tzinfo=CHINA)


class HandoffDialogue(FakeDialogue):
    """The dialogue engine as the Rasa actions answer: "转人工" gets action_handoff's phone-channel text with meta
    outcome ``handoff`` and the item discussed; anything else is echoed as an answer."""

    def __init__(self, replies: Replies):
        super().__init__()
        self.handoff_text = "\n".join(
            [
                replies("handoff", human_channel=replies("human_channel")),
                replies("handoff_item_line", item="内地居民结婚登记", phone="010-12345678"),
                replies("handoff_in_checklist"),
            ]
        )

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        if message == "转人工":
            return [BotMessage(text=self.handoff_text, meta={"outcome": "handoff", "item_id": ITEM})]
        return [BotMessage(text=f"echo: {message}", meta={"outcome": "answer", "item_id": ITEM})]

    def messages(self) -> list[str]:
        return [message for _, message in self.calls]


def handoff_app(catalogue: Catalogue, data_dir: Path, dialogue: HandoffDialogue) -> FastAPI:
    settings = Settings(paths=PathSettings(data_dir=data_dir))
    return create_app(settings, holder=CatalogueHolder(catalogue), dialogue=dialogue)


@pytest.fixture
def dialogue(bundled: Catalogue) -> HandoffDialogue:
    return HandoffDialogue(Replies.load(bundled.infos[0].contacts))


@pytest.fixture
def client(bundled: Catalogue, tmp_path: Path, dialogue: HandoffDialogue) -> Iterator[TestClient]:
    add_staff(tmp_path, "wang")
    add_staff(tmp_path, "li")
    with TestClient(handoff_app(bundled, tmp_path, dialogue)) as test_client:
        at(test_client, WEDNESDAY_10)
        yield test_client


def at(client: TestClient, moment: datetime) -> None:
    """The application's "now" for handoffs (working hours)."""
    client.app.state.assistant.dialogue.clock = lambda: moment


def say(client: TestClient, sender_id: str | None, message: str) -> tuple[str, list[dict]]:
    response = client.post("/api/v1/chat", json={"sender_id": sender_id, "message": message})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["sender_id"], body["messages"]


def as_clerk(client: TestClient, username: str) -> dict[str, str]:
    """Log ``username`` in on the client (its cookie replaces the one before); the CSRF header for its POSTs."""
    return {"X-CSRF-Token": log_in(client, username)["csrf_token"]}


def pushed(client: TestClient, sender_id: str, after: int = 0) -> dict:
    response = client.get("/api/v1/chat/messages", params={"sender_id": sender_id, "after": after})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_person_asks_for_a_human_and_a_clerk_answers_until_handing_back(
    client: TestClient, dialogue: HandoffDialogue
) -> None:
    sender, _ = say(client, None, "结婚登记要带什么")
    sender, answer = say(client, sender, "转人工")
    queued = answer[0]["text"]
    assert queued.startswith("已为您转接人工服务") and answer[0]["author"] == "system"
    assert "12345" in queued and "010-12345678" in queued  # the phone line stays the alternative
    assert "目前不能在线转接人工" not in queued and "材料清单" not in queued

    # waiting: what the person writes goes to staff, not to the assistant
    engine_turns = len(dialogue.calls)
    _, note = say(client, sender, "我想问一下离婚后再婚需要什么")
    assert note[0]["author"] == "system" and "工作人员" in note[0]["text"]
    _, again = say(client, sender, "转人工")
    assert "已在人工服务队列中" in again[0]["text"]  # one handoff at a time
    assert len(dialogue.calls) == engine_turns

    wang = as_clerk(client, "wang")
    waiting = client.get("/api/v1/handoffs", params={"status": "open"}).json()
    assert len(waiting) == 1
    handoff = waiting[0]
    assert handoff["item_id"] == ITEM and handoff["item_name"] == "内地居民结婚登记"
    assert handoff["channel"] == "web" and not handoff["after_hours"] and handoff["claimed_by"] is None

    claimed = client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=wang)
    assert claimed.status_code == 200, claimed.text
    conversation = claimed.json()
    assert [entry["text"] for entry in conversation["transcript"]] == [
        "结婚登记要带什么",
        "echo: 结婚登记要带什么",
        "转人工",
    ]
    assert [m["text"] for m in conversation["messages"] if m["author"] == "person"] == [
        "我想问一下离婚后再婚需要什么",
        "转人工",
    ]

    li = as_clerk(client, "li")
    second = client.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=li)
    assert second.status_code == 409 and second.json()["code"] == "claimed_by_other"
    refused = client.post(f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": "我来"}, headers=li)
    assert refused.status_code == 409

    wang = as_clerk(client, "wang")
    reply = client.post(
        f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": "您好，再婚需带离婚证。"}, headers=wang
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["author"] == "clerk" and reply.json()["clerk"] == "wang"
    received = pushed(client, sender)
    assert received["handoff"] == "claimed"
    assert [(m["author"], m["clerk"], m["text"]) for m in received["messages"]] == [
        ("clerk", "wang", "您好，再婚需带离婚证。")
    ]
    assert pushed(client, sender, after=received["messages"][-1]["seq"])["messages"] == []

    _, serving_note = say(client, sender, "好的，谢谢")
    assert serving_note[0]["author"] == "system"
    assert len(dialogue.calls) == engine_turns

    released = client.post(f"/api/v1/handoffs/{handoff['id']}/release", headers=wang)
    assert released.status_code == 200 and released.json()["status"] == "released"
    after_release = pushed(client, sender, after=received["messages"][-1]["seq"])
    assert after_release["handoff"] is None
    assert after_release["messages"][0]["author"] == "system"
    assert "工作人员已结束本次人工服务" in after_release["messages"][0]["text"]

    _, answer = say(client, sender, "离婚登记在哪里办")
    assert answer[0]["text"] == "echo: 离婚登记在哪里办" and answer[0]["author"] == "assistant"
    assert dialogue.messages()[-1] == "离婚登记在哪里办"

    times = client.get("/api/v1/handoffs", params={"status": "released"}).json()[0]
    assert times["created_at"] and times["claimed_at"] and times["first_reply_at"] and times["closed_at"]

    actions = [
        (entry.username, entry.action)
        for entry in reversed(audit.entries(client.app.state.assistant.console))
        if entry.action.startswith("handoff.")
    ]
    assert actions == [
        ("wang", "handoff.claim"),
        ("li", "handoff.claim.refused"),
        ("li", "handoff.reply.refused"),
        ("wang", "handoff.reply"),
        ("wang", "handoff.release"),
    ]


def test_clerks_only_and_with_the_csrf_token(client: TestClient) -> None:
    say(client, None, "转人工")
    assert client.get("/api/v1/handoffs").status_code == 401
    assert client.get("/console/inbox", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 303
    as_clerk(client, "wang")
    handoff = client.get("/api/v1/handoffs").json()[0]
    assert client.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 403  # no CSRF token
    assert client.get("/api/v1/handoffs", params={"status": "lost"}).status_code == 422
    assert client.post("/api/v1/handoffs/999/claim", headers=as_clerk(client, "wang")).status_code == 404
    page = client.get("/console/inbox")
    assert page.status_code == 200 and "人工收件箱" in page.text
    assert client.cookies.get("zwzs_staff") and 'data-csrf="' in page.text


def test_a_waiting_handoff_shows_its_conversation_and_opening_it_is_logged(client: TestClient) -> None:
    sender, _ = say(client, None, "我的身份证号11010519491231002X丢了")
    say(client, sender, "转人工")
    as_clerk(client, "wang")
    handoff = client.get("/api/v1/handoffs").json()[0]
    opened = client.get(f"/api/v1/handoffs/{handoff['id']}").json()
    assert opened["transcript"][0]["text"] == "我的身份证号******************丢了"  # masked as stored
    assert ("wang", "handoff.view") in [
        (e.username, e.action) for e in audit.entries(client.app.state.assistant.console)
    ]


def test_after_hours_the_person_is_told_when_and_may_leave_a_number(client: TestClient) -> None:
    at(client, WEDNESDAY_20)
    sender, answer = say(client, None, "转人工")
    told = answer[0]["text"]
    assert "现在不是人工服务时间" in told and "明天 9:00" in told and "手机号码或固定电话" in told
    _, taken = say(client, sender, "我的手机 139 1234 5678")
    assert "139****5678" in taken[0]["text"] and "13912345678" not in taken[0]["text"]

    wang = as_clerk(client, "wang")
    listed = client.get("/api/v1/handoffs").json()[0]
    assert listed["after_hours"] and listed["has_phone"] and listed["phone"] is None
    claimed = client.post(f"/api/v1/handoffs/{listed['id']}/claim", headers=wang).json()
    assert claimed["phone"] == "13912345678"  # the claiming clerk calls back
    left = [m["text"] for m in claimed["messages"] if m["author"] == "person"]
    assert left == ["我的手机 *************"]  # masked in the conversation
    li = as_clerk(client, "li")
    assert client.get(f"/api/v1/handoffs/{listed['id']}", headers=li).json()["phone"] is None


def test_starting_again_leaves_the_handoff(client: TestClient, dialogue: HandoffDialogue) -> None:
    sender, _ = say(client, None, "转人工")
    say(client, sender, "/restart")
    assert dialogue.messages()[-1] == "/restart"
    _, answer = say(client, sender, "护照怎么办")
    assert answer[0]["text"] == "echo: 护照怎么办"
    as_clerk(client, "wang")
    assert client.get("/api/v1/handoffs").json() == []


def test_going_back_to_the_assistant_leaves_the_handoff_where_the_conversation_was(
    client: TestClient, dialogue: HandoffDialogue
) -> None:
    sender, queued = say(client, None, "转人工")
    assert "返回助手" in queued[0]["text"]  # the queue says how to go back
    _, note = say(client, sender, "算了")
    assert "返回助手" in note[0]["text"] and dialogue.messages() == ["转人工"]  # still with staff
    _, back = say(client, sender, "返回助手")
    assert back[0]["text"].startswith("已结束人工服务") and dialogue.messages() == ["转人工"]  # not a command to Rasa
    _, answer = say(client, sender, "护照怎么办")
    assert answer[0]["text"] == "echo: 护照怎么办"
    as_clerk(client, "wang")
    assert client.get("/api/v1/handoffs").json() == []  # nothing left waiting in the inbox


def test_a_person_returning_days_later_is_answered_by_the_assistant(client: TestClient, dialogue: HandoffDialogue):
    sender, _ = say(client, None, "转人工")  # on a Wednesday at 10:00; nobody ever claims it
    at(client, WEDNESDAY_10 + timedelta(days=4))
    _, answer = say(client, sender, "护照怎么办")
    assert answer[0]["text"] == "echo: 护照怎么办"
    as_clerk(client, "wang")
    assert client.get("/api/v1/handoffs").json() == []


def test_only_a_conversation_this_server_issued_can_be_read(client: TestClient) -> None:
    for sender_id in ("wx:oFollower", "w.made.up", "web-123"):
        refused = client.get("/api/v1/chat/messages", params={"sender_id": sender_id})
        assert refused.status_code == 404 and "sender_id" in refused.json()["detail"]
        assert client.get("/api/v1/chat/events", params={"sender_id": sender_id}).status_code == 404
    sender, _ = say(client, None, "你好")
    assert client.get("/api/v1/chat/messages", params={"sender_id": sender, "after": -1}).status_code == 422
    assert pushed(client, sender) == {"sender_id": sender, "messages": [], "handoff": None}


# --- the server-sent events, read as a browser would from a served application -----------------------------------


def events_of(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """A stream's events (name, data) as they come, comments and retry lines skipped."""
    name = "message"
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, json.loads(line[len("data: ") :])


def until(events: Iterator[tuple[str, dict]], name: str, **fields: object) -> list[tuple[str, dict]]:
    """The events up to the first ``name`` event whose data has ``fields`` (each event is one poll away)."""
    seen = []
    for event in events:
        seen.append(event)
        if event[0] == name and all(event[1].get(key) == value for key, value in fields.items()):
            return seen
    raise AssertionError(f"the stream ended before a {name} event with {fields}: {seen}")


@contextmanager
def served(
    catalogue: Catalogue, data_dir: Path, dialogue: HandoffDialogue
) -> Iterator[tuple[httpx.Client, httpx.Client, dict[str, str]]]:
    """The application on a real HTTP server during working hours: a person's client, and clerk wang's logged in
    with the CSRF header his writes send."""
    add_staff(data_dir, "wang")
    apps: list[FastAPI] = []

    def make(port: int) -> FastAPI:
        apps.append(handoff_app(catalogue, data_dir, dialogue))
        return apps[-1]

    with (
        serving(make) as url,
        httpx.Client(base_url=url, timeout=20) as person,
        httpx.Client(base_url=url, timeout=20) as clerk,
    ):
        apps[0].state.assistant.dialogue.clock = lambda: WEDNESDAY_10
        yield person, clerk, {"X-CSRF-Token": log_in(clerk, "wang")["csrf_token"]}


@pytest.mark.integration
def test_a_widget_connecting_while_a_clerks_reply_waits_learns_of_the_handoff_first(
    bundled: Catalogue, tmp_path: Path, dialogue: HandoffDialogue
) -> None:
    # the person's phone was asleep: the clerk claimed and answered before the widget's stream (re)connected
    with served(bundled, tmp_path, dialogue) as (person, clerk, csrf):
        sender = person.post("/api/v1/chat", json={"message": "转人工"}).json()["sender_id"]
        waiting = clerk.get("/api/v1/handoffs", params={"status": "open"}).json()
        assert len(waiting) == 1
        handoff_id = waiting[0]["id"]
        assert clerk.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=csrf).status_code == 200
        assert clerk.post(f"/api/v1/handoffs/{handoff_id}/reply", json={"text": "五点下班。"}, headers=csrf).is_success
        with person.stream("GET", "/api/v1/chat/events", params={"sender_id": sender}) as stream:
            received = events_of(stream)
            assert next(received) == ("handoff", {"status": "claimed"})  # the widget shows the clerk's chat first
            name, reply = next(received)
            assert name == "message" and reply["text"] == "五点下班。"


@pytest.mark.integration
def test_both_streams_push_what_happens(bundled: Catalogue, tmp_path: Path, dialogue: HandoffDialogue) -> None:
    with served(bundled, tmp_path, dialogue) as (person, clerk, csrf):
        with clerk.stream("GET", "/api/v1/handoffs/events") as inbox:
            assert inbox.headers["content-type"].startswith("text/event-stream")
            sender = person.post("/api/v1/chat", json={"message": "转人工"}).json()["sender_id"]
            pushed_to_inbox = events_of(inbox)
            _, opened = until(pushed_to_inbox, "handoff", status="open")[-1]
            assert opened["item_id"] == ITEM and opened["item_name"] == "内地居民结婚登记"
            handoff_id = opened["id"]
            assert clerk.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=csrf).status_code == 200
            until(pushed_to_inbox, "handoff", id=handoff_id, status="claimed", claimed_by="wang")
            person.post("/api/v1/chat", json={"sender_id": sender, "message": "请问几点下班"})
            _, asked = until(pushed_to_inbox, "message", author="person")[-1]
            assert asked["text"] == "请问几点下班" and asked["handoff_id"] == handoff_id

        with person.stream("GET", "/api/v1/chat/events", params={"sender_id": sender}) as stream:
            assert clerk.post(
                f"/api/v1/handoffs/{handoff_id}/reply", json={"text": "五点下班。"}, headers=csrf
            ).is_success
            received = events_of(stream)
            assert next(received) == ("handoff", {"status": "claimed"})
            name, reply = next(received)
            assert name == "message" and reply["text"] == "五点下班。" and reply["clerk"] == "wang"
            assert clerk.post(f"/api/v1/handoffs/{handoff_id}/release", headers=csrf).is_success
            name, note = next(received)
            assert name == "message" and note["author"] == "system"
            assert next(received) == ("handoff", {"status": None})  # back with the assistant: the widget stops

        # a reconnecting browser sends the last id it saw: nothing is repeated
        with person.stream(
            "GET", "/api/v1/chat/events", params={"sender_id": sender}, headers={"Last-Event-ID": str(note["seq"])}
        ) as again:
            assert next(events_of(again)) == ("handoff", {"status": None})
