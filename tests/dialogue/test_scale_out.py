"""Scale-out on real servers: two application nodes (`assistant serve`), one PostgreSQL, one Redis.

The deployment the README describes, on one machine: each node runs the application and its own dialogue engines
(node A two of them, ``--dialogue-workers 2``), conversations live in PostgreSQL (Rasa's SQL tracker store), locks
and the state processes share in Redis. A person whose turns a load balancer sends to one node and then the other
keeps one conversation: a checklist begun on one node is finished on the other, and what the conversation is about
carries over, across new sessions too.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy
from conftest import REPO, free_port, start_serve

pytestmark = pytest.mark.slow

NO_ANSWER = "抱歉，我暂时无法回答"
# (message, what the reply must contain); the nodes take the turns in turn
TURNS = [
    ("帮我生成结婚登记的材料清单", "以前是否有过婚姻"),
    ("不是", "改过姓名"),  # answered on the other node
    ("没改过", "一次性告知单：内地居民结婚登记"),
    ("身份证丢了怎么办", "【居民身份证补领】"),
    ("要多少钱", "【居民身份证补领】"),  # the item of the turn the other node took
    ("普通护照签发要带什么材料", "【普通护照签发】"),
    ("那要多少钱？", "【普通护照签发】"),
    ("今天天气怎么样", "12345"),
    ("谢谢", "不客气"),
    ("你好", "政务服务智能助手"),
    ("帮我生成结婚登记的材料清单", "以前是否有过婚姻"),
    ("不是", "改过姓名"),
    ("没改过", "一次性告知单：内地居民结婚登记"),  # turn 13: past the first new session
    ("身份证丢了怎么办", "【居民身份证补领】"),
    ("要多少钱", "【居民身份证补领】"),
]


def _two_free_ports() -> int:
    """A port p with p and p + 1 free (node A's two dialogue workers)."""
    import socket

    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture(scope="module")
def two_nodes(postgres, redis_server, dialogue_model):
    env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url}
    ports = [free_port(), free_port()]
    starts = [
        (ports[0], _two_free_ports(), "serve-node-a.log", ("--dialogue-workers", "2")),
        (ports[1], free_port(), "serve-node-b.log", ()),
    ]
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(start_serve, port, rasa, log, 1200.0, args, env) for port, rasa, log, args in starts]
        wait(futures)
    processes = [future.result() for future in futures if future.exception() is None]
    if len(processes) < len(futures):  # one node failed to start: stop the other, never leave it serving
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        next(future.result() for future in futures if future.exception() is not None)  # raises its error
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()


def say(nodes: list[httpx.Client], sender: str, turn: int, message: str, expected: str) -> None:
    """One turn, sent to node ``turn % 2``: answered, in the same conversation, with ``expected`` in the reply."""
    response = nodes[turn % 2].post("/api/v1/chat", json={"sender_id": sender, "message": message})
    assert response.status_code == 200, (turn, response.text)
    assert response.json()["sender_id"] == sender, f"turn {turn} started a new conversation"
    said = "\n".join(m["text"] for m in response.json()["messages"])
    assert NO_ANSWER not in said, f"turn {turn} ({message!r}) on node {turn % 2} was not answered"
    assert expected in said, f"turn {turn} ({message!r}) on node {turn % 2}: expected {expected!r} in {said!r}"


@contextmanager
def clients(bases: list[str]) -> Iterator[list[httpx.Client]]:
    """One HTTP client per node, as a load balancer's two upstreams."""
    nodes = [httpx.Client(base_url=base, timeout=60) for base in bases]
    try:
        yield nodes
    finally:
        for node in nodes:
            node.close()


def database(postgres) -> sqlalchemy.Engine:
    """The shared PostgreSQL, through psycopg 3 (the driver of the application's side)."""
    return sqlalchemy.create_engine(postgres.url.replace("postgresql://", "postgresql+psycopg://"))


def test_a_conversation_alternating_between_two_nodes_stays_whole(two_nodes, postgres):
    with clients(two_nodes) as nodes:
        sender = nodes[1].post("/api/v1/chat", json={"message": ""}).json()["sender_id"]
        for turn, (message, expected) in enumerate(TURNS):
            say(nodes, sender, turn, message, expected)

    # the conversation is in PostgreSQL, whole, and not in the embedded SQLite store
    engine = database(postgres)
    with engine.connect() as connection:
        texts = connection.execute(
            sqlalchemy.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender}
        ).all()
        # and the application's database, in the same PostgreSQL, has both sides with what each answer answered
        recorded = connection.execute(
            sqlalchemy.text("SELECT author, outcome, item_id, message_id FROM messages WHERE sender_id = :s"),
            {"s": sender},
        ).all()
    engine.dispose()
    assert len(texts) == len(TURNS)  # every turn (the empty first message never reaches the dialogue)
    assert sum(1 for row in recorded if row.author == "person") == len(TURNS)
    outcomes = {(row.outcome, row.item_id) for row in recorded if row.author == "assistant"}
    assert ("notice", "marriage-registration") in outcomes  # the 告知单, rateable
    assert ("answer", "resident-id-card-reissue") in outcomes
    assert ("out_of_scope", None) in outcomes  # 今天天气怎么样: for the unanswered queue
    assert all(row.message_id for row in recorded)
    tracker_db = REPO / "var" / "rasa" / "tracker.db"
    if tracker_db.exists():
        with sqlite3.connect(tracker_db) as local:
            assert local.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone() == (0,)


def test_both_nodes_report_every_dialogue_worker_ready(two_nodes):
    for base in two_nodes:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        assert health["parts"] == {"knowledge": "ready", "dialogue": "ready"}


def test_a_checklist_begun_before_postgresql_and_redis_restart_is_finished_after_them(
    two_nodes, postgres, redis_server
):
    # a person half-way through a checklist while the operators restart the database, then Redis: each turn lands
    # on the other node, and the checklist carries on where it was, its turns all stored (last: it restarts both)
    with clients(two_nodes) as nodes:
        sender = nodes[0].post("/api/v1/chat", json={"message": ""}).json()["sender_id"]
        say(nodes, sender, 0, "帮我生成结婚登记的材料清单", "以前是否有过婚姻")
        postgres.restart()
        say(nodes, sender, 1, "不是", "改过姓名")
        redis_server.restart()
        say(nodes, sender, 2, "没改过", "一次性告知单：内地居民结婚登记")
        say(nodes, sender, 3, "那要多少钱", "【内地居民结婚登记】")
    engine = database(postgres)
    with engine.connect() as connection:
        users = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender}
        ).scalar()
    engine.dispose()
    assert users == 4  # every turn stored once: none lost while the database was away, none stored twice
