"""A returning person's long conversation on one sender id, through the real stack (`assistant serve`).

Rasa posts the conversation's current session with every action call; before sessions were bounded and the body
limit was kept to the public door, a conversation broke for good around its tenth turn ("抱歉，我暂时无法回答").
Here one sender talks for 220 turns: questions, follow-ups in context, whole checklists, refusals, thanks and
greetings. Every turn is answered, and what the conversation is about survives the new sessions started along the
way (every ``nlu.rasa_components.SESSION_TURNS`` messages, never inside a checklist).
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow

NO_ANSWER = "抱歉，我暂时无法回答"
# one round of eleven turns: (message, what the reply must contain)
ROUND = [
    ("普通护照签发要带什么材料", "【普通护照签发】"),
    ("那要多少钱？", "【普通护照签发】"),  # the item of the turn before
    ("帮我生成结婚登记的材料清单", "以前是否有过婚姻"),
    ("不是", "改过姓名"),  # a bare no to a yes/no question; the follow-up it skips is not asked
    ("没改过", "一次性告知单：内地居民结婚登记"),
    ("今天天气怎么样", "12345"),
    ("身份证丢了怎么办", "【居民身份证补领】"),
    ("要多少钱", "【居民身份证补领】"),  # across a new session too: the item is carried over
    ("结婚登记在哪里办", "办理地点"),  # ("转人工" would hand the sender to staff for the rest: tested apart)
    ("谢谢", "不客气"),
    ("你好", "政务服务智能助手"),
]
ROUNDS = 20


def test_a_returning_persons_long_conversation_is_answered_every_turn(live_server):
    # with SESSION_TURNS at 6 the new sessions fall after turns 6, 12, 18 (right after "身份证丢了怎么办": "要多少钱"
    # is then answered from the carried-over item), 24, 30, 38 (not 36: 36 and 37 are inside the checklist), 44 …
    with httpx.Client(base_url=live_server, timeout=60) as client:
        sender = client.post("/api/v1/chat", json={"message": ""}).json()["sender_id"]  # issued by the server
        for round_ in range(ROUNDS):
            for position, (message, expected) in enumerate(ROUND, start=1):
                turn = round_ * len(ROUND) + position
                response = client.post("/api/v1/chat", json={"sender_id": sender, "message": message})
                assert response.status_code == 200, (turn, response.text)
                assert response.json()["sender_id"] == sender, f"turn {turn} started a new conversation"
                said = "\n".join(m["text"] for m in response.json()["messages"])
                assert NO_ANSWER not in said, f"turn {turn} ({message!r}) was not answered"
                assert expected in said, f"turn {turn} ({message!r}): expected {expected!r} in {said!r}"
