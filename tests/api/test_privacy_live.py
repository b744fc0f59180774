"""No ID, mobile or bank card number is stored or logged, on the real stack (`assistant serve`).

A person writes their numbers into the web chat, a WeChat message, the staff search and the API; afterwards no
file the server wrote (its console output, the operational log with the access lines, Rasa's log, the tracker
database, the audit log of the staff search) holds any of them.
"""

from __future__ import annotations

import json
import secrets
import sqlite3

import httpx
import pytest
from conftest import REPO, free_port, start_serve
from staff_accounts import add_staff, log_in
from test_wechat_live import WeChatUser

pytestmark = pytest.mark.slow

LOG = "serve-privacy-test.log"
ID = "11010519491231002X"
MOBILE = "13912345678"
CARD = "6222021234567890128"
NUMBERS = (ID, MOBILE, CARD, "1391234", "0212345678")


def test_personal_numbers_reach_no_file_and_no_table():
    port, rasa_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    sender, follower = None, WeChatUser(f"http://127.0.0.1:{port}")
    log, operational = REPO / "var" / LOG, REPO / "var" / "logs" / "assistant.log"
    # the logs are appended to by every run: read this run's part
    before = {path: path.stat().st_size if path.exists() else 0 for path in (log, operational)}
    clerk = f"privacy-{secrets.token_hex(4)}"  # the server's own database (var/): a name of this run's
    add_staff(REPO / "var", clerk)
    process = start_serve(port, rasa_port, LOG)
    try:
        said = f"我的身份证号{ID}丢了，怎么补办？我的电话{MOBILE}"
        card = f"社保卡丢了怎么补，卡号{CARD}"
        for message, answered in ((said, "居民身份证补领"), (card, "社会保障卡")):
            body = {"message": message} if sender is None else {"sender_id": sender, "message": message}
            reply = httpx.post(f"{base}/api/v1/chat", json=body, timeout=60)
            assert reply.status_code == 200 and answered in reply.text  # still answered, the numbers unread
            assert sender in (None, reply.json()["sender_id"])  # one conversation, its id issued by the server
            sender = reply.json()["sender_id"]
            assert answered in follower.say(message)
        with httpx.Client(base_url=base, timeout=30) as window:
            log_in(window, clerk)
            assert window.get("/staff", params={"q": MOBILE}).status_code == 200
        assert httpx.get(f"{base}/api/v1/items", params={"q": ID}, timeout=30).status_code == 200
        assert httpx.post(f"{base}/api/v1/ask", json={"query": said}, timeout=60).status_code == 200
    finally:
        process.terminate()
        process.wait(60)
    written = {path: path.read_bytes()[size:] for path, size in before.items()}
    assert "GET /staff?q=*********** HTTP/1.1" in written[operational].decode()  # the access line, masked
    written |= {path: path.read_bytes() for path in (REPO / "var" / "rasa").glob(f"rasa-{rasa_port}.log")}
    for path, content in written.items():
        text = content.decode("utf-8", errors="replace")
        assert not [n for n in NUMBERS if n in text], f"a personal number in {path}"
    with sqlite3.connect(REPO / "var" / "rasa" / "tracker.db") as db:
        # this run's two conversations only: the database keeps every earlier test's
        rows = db.execute("SELECT data FROM events WHERE sender_id IN (?, ?)", (sender, f"wx:{follower.openid}"))
        stored = "\n".join(json.dumps(json.loads(row[0]), ensure_ascii=False) for row in rows)
    assert "身份证号" in stored  # the conversation was stored, its numbers masked
    assert not [n for n in NUMBERS if n in stored]
    with sqlite3.connect(REPO / "var" / "console.sqlite3") as db:
        looked_up = db.execute("SELECT target FROM audit_log WHERE username = ? AND action = 'staff.search'", (clerk,))
        assert [row[0] for row in looked_up] == ["*" * len(MOBILE)]  # the clerk's search audited, the number masked
        # both sides of both conversations, as the console keeps them (ratings, the unanswered queue, handoffs)
        rows = db.execute(
            "SELECT text, coalesce(question, '') FROM messages WHERE sender_id IN (?, ?)",
            (sender, f"wx:{follower.openid}"),
        )
        kept = "\n".join(f"{text}\n{question}" for text, question in rows)
    assert "身份证号" in kept
    assert not [n for n in NUMBERS if n in kept]
