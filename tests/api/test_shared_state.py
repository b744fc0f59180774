"""The state application processes share (api.shared) and the routing of senders over dialogue workers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import yaml

from api.dialogue import BotMessage, DialogueUnavailable, GuidesWhenDown, RasaDialogue, ShardedDialogue
from api.shared import MemoryStore, RedisStore
from assistant.replies import Replies
from assistant.serving.serve import write_endpoints


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        yield MemoryStore()
        return
    server = request.getfixturevalue("redis_server")
    store = RedisStore(server.url)
    asyncio.run(store.redis.flushdb())
    yield store


def test_a_claim_is_won_once_until_it_expires(store):
    async def claims():
        first, again = await store.claim("wx:claim:1", 0.3), await store.claim("wx:claim:1", 0.3)
        await asyncio.sleep(0.4)
        return first, again, await store.claim("wx:claim:1", 0.3)

    assert asyncio.run(claims()) == (True, False, True)


def test_values_and_queues_behave_alike_in_memory_and_in_redis(store):
    async def use():
        await store.set("wx:reply:1", "您好，请问办理什么业务？", 60)
        await store.push("q", "一")
        await store.push("q", "二")
        popped = [await store.pop("q", 1), await store.pop("q", 1), await store.pop("q", 1)]
        value = await store.get("wx:reply:1")
        await store.delete("wx:reply:1")
        return value, popped, await store.get("wx:reply:1")

    assert asyncio.run(use()) == ("您好，请问办理什么业务？", ["一", "二", None], None)


def test_a_redis_that_cannot_be_reached_fails_no_call():
    from assistant.serving.throwaway import free_port

    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")

    async def use():
        return (
            await store.claim("k", 1),
            await store.get("k"),
            await store.push("q", "x"),
        )

    assert asyncio.run(use()) == (True, None, False)


def test_each_sender_always_reaches_the_same_worker_and_the_workers_share_the_senders():
    workers = {f"http://127.0.0.1:{5005 + i}": i for i in range(2)}
    ring = ShardedDialogue(workers)
    senders = [f"w.sender-{n}" for n in range(2000)]
    routes = [ring.engine(sender) for sender in senders]
    assert routes == [ShardedDialogue(workers).engine(sender) for sender in senders]  # every process agrees
    assert 0.35 < routes.count(0) / len(routes) < 0.65
    # a third worker takes about a third of the senders; the others keep theirs
    grown = ShardedDialogue({**workers, "http://127.0.0.1:5007": 2})
    moved = [before for sender, before in zip(senders, routes, strict=True) if grown.engine(sender) != before]
    assert 0.2 < len(moved) / len(senders) < 0.45
    assert all(grown.engine(s) == 2 for s, before in zip(senders, routes, strict=True) if grown.engine(s) != before)


def test_two_workers_share_the_senders_about_evenly_whatever_their_ports():
    # the busier engine sets the latency of all its senders: each engine's share of the ring stays near a half
    senders = [f"w.{n:016x}" for n in range(4000)]
    for port in range(20000, 60000, 2000):
        ring = ShardedDialogue({f"http://127.0.0.1:{port}": 0, f"http://127.0.0.1:{port + 1}": 1})
        share = sum(ring.engine(sender) == 0 for sender in senders) / len(senders)
        assert 0.45 < share < 0.55, (port, share)


def test_rasa_keeps_conversations_in_postgresql_and_locks_in_redis_when_configured(tmp_path):
    endpoints, _ = write_endpoints(
        tmp_path,
        "http://127.0.0.1:8000/webhook",
        tmp_path / "tracker.db",
        5005,
        database_url="postgresql+psycopg://rasa:s3cret@db.internal:5433/conversations",
        redis_url="redis://:r3dis@cache.internal:6380/2",
    )
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    assert config["tracker_store"] == {
        "type": "nlu.rasa_components.CheckedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "postgresql://rasa:s3cret@db.internal:5433/conversations",
        "db": "conversations",
    }
    assert config["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 2,
        "key_prefix": "zhengwu",
        "password": "r3dis",
    }
    assert endpoints.stat().st_mode & 0o077 == 0  # the passwords are the owner's to read


def test_without_urls_conversations_stay_in_sqlite_in_the_data_directory(tmp_path):
    endpoints, _ = write_endpoints(tmp_path, "http://127.0.0.1:8000/webhook", tmp_path / "tracker.db", 5005)
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    assert config["tracker_store"] == {
        "type": "nlu.rasa_components.CheckedSQLTrackerStore",
        "dialect": "sqlite",
        "db": str((tmp_path / "tracker.db").resolve()),
    }
    assert "lock_store" not in config


class Engine:
    """A dialogue engine double: answers with its name, or is down."""

    def __init__(self, name: str, down: bool = False):
        self.name, self.down, self.senders = name, down, []

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        if self.down:
            raise DialogueUnavailable(f"{self.name} did not answer")
        self.senders.append(sender_id)
        return [BotMessage(text=self.name)]


def test_while_a_senders_engine_is_down_its_turns_go_to_another_and_then_back():
    engines = {f"http://127.0.0.1:{5005 + i}": Engine(f"engine {i}") for i in range(3)}
    ring = ShardedDialogue(engines)
    sender = "w.returning-person"
    own = ring.engine(sender)
    assert asyncio.run(ring.send(sender, "你好"))[0].text == own.name
    own.down = True
    stand_in = asyncio.run(ring.send(sender, "上一步"))[0].text
    assert stand_in != own.name
    assert asyncio.run(ring.send(sender, "没改过"))[0].text == stand_in  # the same stand-in every turn
    own.down = False
    assert asyncio.run(ring.send(sender, "谢谢"))[0].text == own.name


def test_when_every_engine_is_down_the_caller_is_told():
    ring = ShardedDialogue({f"http://127.0.0.1:{5005 + i}": Engine(f"engine {i}", down=True) for i in range(2)})
    with pytest.raises(DialogueUnavailable):
        asyncio.run(ring.send("w.someone", "你好"))


def rasa_answering(records: list) -> RasaDialogue:
    """A RasaDialogue whose engine answers every message with ``records`` (Rasa's REST channel output)."""
    engine = RasaDialogue("http://127.0.0.1:5005")
    engine._client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200, json=records)))
    return engine


def test_an_engine_that_answers_nothing_is_taken_for_down_and_the_guides_answer():
    """Rasa's REST channel answers 200 with nothing when handling a message failed (its Redis lock store or its
    database restarting): the person gets the guides' answer with the note, not an apology to send it again."""

    class Answer:
        brief = "【居民身份证补领】\n可在户籍所在地公安机关办理。"

    fallback = GuidesWhenDown(rasa_answering([]), ask=lambda: lambda _: Answer(), replies=Replies.load)
    said = asyncio.run(fallback.send("w.someone", "身份证丢了怎么办"))
    assert said[0].text.startswith("【居民身份证补领】") and Replies.load()("dialogue_down") in said[0].text
    # an engine that answers is passed through as it said
    engine = GuidesWhenDown(rasa_answering([{"text": "您好"}]), ask=lambda: lambda _: Answer(), replies=Replies.load)
    assert [m.text for m in asyncio.run(engine.send("w.someone", "你好"))] == ["您好"]
