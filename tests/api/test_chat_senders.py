"""Web sender ids are the server's: issued and signed, so a client cannot choose another channel's (or another
person's) conversation. Which sender id reached the dialogue is read from the :class:`FakeDialogue`'s calls."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi.testclient import TestClient

from api.app import create_app
from api.senders import SenderIds
from api.settings import ChatSettings, Settings
from api.wechat import SENDER_PREFIX
from assistant.replies import Replies
from knowledge.catalogue import Catalogue

SECRET = "test-chat-secret"
ISSUED = re.compile(r"^w\.[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$")


@pytest.fixture
def dialogue() -> FakeDialogue:
    return FakeDialogue()


@pytest.fixture
def client(bundled: Catalogue, dialogue: FakeDialogue) -> Iterator[TestClient]:
    settings = Settings(chat=ChatSettings(secret=SECRET))
    with TestClient(create_app(settings, holder=CatalogueHolder(bundled), dialogue=dialogue)) as client:
        yield client


def say(client: TestClient, message: str, sender_id: str | None = None) -> dict:
    body = {"message": message} if sender_id is None else {"sender_id": sender_id, "message": message}
    # escaped JSON: a lone surrogate travels as \ud800 (httpx would refuse to encode it)
    response = client.post("/api/v1/chat", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


# --- the signing helper ------------------------------------------------------------------------------------------


def test_issued_ids_verify_under_their_secret_only() -> None:
    ids = SenderIds(SECRET)
    issued = [ids.issue() for _ in range(50)]
    assert len(set(issued)) == 50  # random: nobody can guess another person's
    for sender_id in issued:
        assert ISSUED.match(sender_id) and len(sender_id) < 128
        assert not sender_id.startswith(SENDER_PREFIX)  # never mistaken for a WeChat follower's
        assert ids.verify(sender_id) and ids.continued(sender_id) == sender_id
        assert SenderIds(SECRET).verify(sender_id)  # another node with the same secret
        assert not SenderIds("another-secret").verify(sender_id)


def test_anything_else_does_not_verify() -> None:
    ids = SenderIds(SECRET)
    issued = ids.issue()
    prefix, random_part, signature = issued.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_random = ids.issue().split(".")[1]
    for forged in (
        f"{prefix}.{random_part}.{flipped}",  # a tampered signature
        f"{prefix}.{other_random}.{signature}",  # another random part under this signature
        f"{prefix}.{random_part}.{signature[:-1]}",  # cut short
        f"{prefix}.{random_part}.{signature}=",  # padded
        f"x.{random_part}.{signature}",
        f"{issued}.{signature}",
        "w." + "A" * 24 + "." + "A" * 22,
        f"wx:{uuid.uuid4().hex}",
        f"web-{uuid.uuid4()}",  # what an earlier widget made up
        "",
        "w.é" + "A" * 23 + "." + "A" * 22,  # not ASCII
        None,
    ):
        assert not ids.verify(forged), forged
        new = ids.continued(forged)
        assert new != forged and ids.verify(new)


# --- the chat endpoint ---------------------------------------------------------------------------------------------


def test_a_first_message_gets_an_issued_id_which_continues_the_conversation(
    client: TestClient, dialogue: FakeDialogue
) -> None:
    first = say(client, "身份证丢了怎么办")
    issued = first["sender_id"]
    assert ISSUED.match(issued) and SenderIds(SECRET).verify(issued)
    assert first["messages"][0]["text"] == "echo: 身份证丢了怎么办"
    second = say(client, "要多少钱", issued)
    third = say(client, "/restart", issued)  # the widget's 重新开始 keeps its id
    assert second["sender_id"] == third["sender_id"] == issued
    assert dialogue.calls == [(issued, "身份证丢了怎么办"), (issued, "要多少钱"), (issued, "/restart")]
    another = say(client, "你好")  # another person: another conversation
    assert another["sender_id"] != issued and dialogue.calls[-1] == (another["sender_id"], "你好")


@pytest.mark.parametrize(
    "named",
    [
        pytest.param(SenderIds("another-secret").issue(), id="signed-with-another-secret"),
        pytest.param("w." + "A" * 24 + "." + "A" * 22, id="forged"),
        pytest.param(f"{SENDER_PREFIX}oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", id="wechat-follower"),
        pytest.param(f"web-{uuid.uuid4()}", id="made-up-by-an-earlier-widget"),
        pytest.param("", id="empty"),
        pytest.param(None, id="null"),
    ],
)
def test_an_id_this_server_did_not_sign_gets_a_new_one_and_a_fresh_conversation(
    client: TestClient, dialogue: FakeDialogue, named: str | None
) -> None:
    response = client.post("/api/v1/chat", json={"sender_id": named, "message": "帮我生成材料清单"})
    assert response.status_code == 200
    issued = response.json()["sender_id"]
    assert issued != named and SenderIds(SECRET).verify(issued)
    assert dialogue.calls == [(issued, "帮我生成材料清单")]  # never under the id it named
    assert say(client, "下一步", issued)["sender_id"] == issued  # the new id is the one to keep


def test_a_tampered_signature_never_reaches_the_conversation_it_names(
    client: TestClient, dialogue: FakeDialogue
) -> None:
    victim = say(client, "帮我生成结婚登记的材料清单")["sender_id"]
    prefix, random_part, signature = victim.split(".")
    for tampered in (
        f"{prefix}.{random_part}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{prefix}.{random_part}.{signature[:-2]}",
        f"{prefix}.{random_part}.",
    ):
        issued = say(client, "是的", tampered)["sender_id"]
        assert issued not in (tampered, victim)
    assert [sender for sender, _ in dialogue.calls].count(victim) == 1  # the victim's own message only


def test_an_empty_message_gets_the_prompt_and_an_id(client: TestClient, dialogue: FakeDialogue, bundled) -> None:
    for message in ("", "   ", "\x00\x07"):
        body = say(client, message)
        assert SenderIds(SECRET).verify(body["sender_id"])
        assert [m["text"] for m in body["messages"]] == [Replies.load(bundled.infos[0].contacts)("chat_empty")]
    assert dialogue.calls == []


def test_nodes_sharing_the_secret_share_conversations_and_another_secret_does_not(bundled: Catalogue) -> None:
    def node(secret: str, dialogue: FakeDialogue) -> TestClient:
        return TestClient(
            create_app(Settings(chat=ChatSettings(secret=secret)), holder=CatalogueHolder(bundled), dialogue=dialogue)
        )

    one, two, elsewhere = FakeDialogue(), FakeDialogue(), FakeDialogue()
    with node(SECRET, one) as a, node(SECRET, two) as b, node("another-deployment", elsewhere) as c:
        issued = say(a, "结婚登记要带什么")["sender_id"]
        assert say(b, "要多少钱", issued)["sender_id"] == issued
        assert two.calls == [(issued, "要多少钱")]
        assert say(c, "要多少钱", issued)["sender_id"] != issued
        assert [sender for sender, _ in elsewhere.calls] != [issued]


def test_any_other_string_gets_a_new_id_too_and_only_a_non_string_is_refused(
    client: TestClient, dialogue: FakeDialogue
) -> None:
    """A widget whose stored id is corrupted must not be locked out: whatever it sends, it gets a new id."""
    for malformed in ("w.a b.c", "x" * 5000, "<script>", "身份证", "\x00", "w.\ud800.x"):
        issued = say(client, "你好", malformed)["sender_id"]
        assert issued != malformed and SenderIds(SECRET).verify(issued)
    assert all(SenderIds(SECRET).verify(sender) for sender, _ in dialogue.calls)
    for not_a_string in (42, ["w.a.b"], {"id": 1}):
        response = client.post("/api/v1/chat", json={"sender_id": not_a_string, "message": "你好"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "sender_id"
