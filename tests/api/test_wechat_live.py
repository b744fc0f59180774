"""The WeChat channel on the real stack (`assistant serve`: application, Rasa server, actions): signed plaintext
XML callbacks as WeChat posts them, for one OpenID, from a question to the final 一次性告知单.

Each question asked and the final notice are compared with what the checklist engine gives for the answers chosen
(the same walk as ``tests/dialogue/test_conversation_e2e.py``, answered the WeChat way: by number).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from api.settings import WeChatSettings
from assistant.dialogue.conversation import next_step, notice_in_chat
from assistant.replies import Replies
from knowledge.checklist import build_notice

pytestmark = pytest.mark.slow

TOKEN = WeChatSettings.model_fields["token"].default  # the live server runs in development mode
ACCOUNT = "gh_live0123456"
ENTRY = "marriage-registration"
LINK = re.compile(r"^打印/查看告知单：(\S+)$", re.MULTILINE)
CUT_HINT = "……（内容较长，完整告知单请打开下方链接，或回复“更多”继续阅读）"
_msg_ids = itertools.count(int(time.time() * 1000))


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatUser:
    """One follower of the official account, messaging the live server's callback as WeChat would."""

    def __init__(self, base: str):
        self.base = base
        self.openid = f"oLive_{uuid.uuid4().hex[:20]}"

    def post(self, content: str, token: str = TOKEN) -> httpx.Response:
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName><CreateTime>{stamp}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{next(_msg_ids)}</MsgId></xml>"
        )
        query = {"signature": sign(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": self.openid}
        return httpx.post(f"{self.base}/wechat", params=query, content=body.encode("utf-8"), timeout=30)

    def say(self, content: str) -> str:
        """Send a text message; returns the passive reply's text after checking it is a reply to this user."""
        response = self.post(content)
        assert response.status_code == 200, response.text
        assert response.text != "success", f"no passive reply within WeChat's 5 s to {content!r}"
        reply = ET.fromstring(response.text)  # well-formed XML, or this raises
        fields = {child.tag: child.text or "" for child in reply}
        assert reply.tag == "xml"
        assert fields["MsgType"] == "text"
        assert fields["ToUserName"] == self.openid
        assert fields["FromUserName"] == ACCOUNT
        assert abs(int(fields["CreateTime"]) - time.time()) < 60
        assert len(fields["Content"].encode("utf-8")) <= 2048, "a passive reply is at most 2048 bytes"
        return fields["Content"]


def numbered(labels: list[str]) -> str:
    return "请回复数字选择：\n" + "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))


def body_and_link(content: str) -> tuple[str, str]:
    """A notice page: its text (without the cut hint) and the printable notice's address."""
    links = LINK.findall(content)
    assert len(links) == 1, content
    body = content[: content.index("打印/查看告知单：")].rstrip()
    return body.removesuffix(CUT_HINT).rstrip(), links[0]


def checklist_by_numbers(user: WeChatUser, knowledge) -> tuple[dict, str]:
    """Ask about 结婚登记, ask for the checklist, answer every question by number; returns answers and last reply."""
    reply = user.say("结婚登记要带什么材料")
    assert "【内地居民结婚登记】" in reply
    # the rest of the guide on demand, then the checklist offer, as numbered options; last, how to rate the answer
    options = numbered(["完整申请材料", "办理地点", "办理时限", "生成材料清单", "不用了"])
    assert reply.endswith(f"{options}\n\n{Replies.load()('wechat_rate_hint')}")

    reply = user.say("4")
    # by number: "2" (married before), "1和3" (both ways the previous marriage ended), "1" (changed name)
    typed = iter(["2", "1和3", "1"])
    answers: dict = {}
    while not (step := next_step(knowledge, ENTRY, answers)).done:
        question = step.question
        assert question.text in reply, f"expected {question.text!r} in {reply!r}"
        assert reply.endswith(numbered([option.label for option in question.options]))
        message = next(typed)
        picked = [question.options[int(n) - 1].id for n in message.split("和")]
        answers = {**answers, question.id: picked if question.multiple else picked[0]}
        reply = user.say(message)
    assert answers == {
        "previous_marriage": "yes",
        "previous_marriage_end": ["registered_divorce", "widowed"],
        "marriage_name_changed": "yes",
    }
    return answers, reply


def test_a_whole_checklist_by_numbers_ends_with_the_engines_notice_and_its_link(live_server, holder):
    knowledge = holder.current
    user = WeChatUser(live_server)
    answers, reply = checklist_by_numbers(user, knowledge)

    notice = build_notice(knowledge.catalogue, ENTRY, answers)
    assert reply.startswith("一次性告知单：内地居民结婚登记")
    summary, link = body_and_link(reply)
    assert summary == notice_in_chat(knowledge, notice)  # the first page: every material by name, then the link
    assert all(material.name in summary for material in notice.materials)
    url = urlsplit(link)
    assert f"{url.scheme}://{url.netloc}" == live_server
    assert url.path == f"/notice/{ENTRY}"
    chosen = [(q, o) for q, options in answers.items() for o in ([options] if isinstance(options, str) else options)]
    assert sorted(parse_qsl(url.query)) == sorted(chosen)

    printable = httpx.get(link, headers={"Accept": "text/html"}, timeout=30)
    assert printable.status_code == 200
    assert "一次性告知单" in printable.text
    for material in notice.materials:
        assert material.name in printable.text


def test_more_after_the_last_page_says_there_is_nothing_more(live_server, holder):
    user = WeChatUser(live_server)
    _, reply = checklist_by_numbers(user, holder.current)
    while CUT_HINT in reply:
        reply = user.say("更多")
    assert user.say("更多").startswith("没有更多内容了")


def test_a_bad_signature_is_refused_on_the_live_server_and_nothing_is_processed(live_server):
    user = WeChatUser(live_server)
    refused = user.post("帮我生成结婚登记的材料清单", token="someone-elses-token")
    assert refused.status_code == 403
    assert refused.text == "invalid signature"
    # had the refused message started the checklist, "1" would answer its first question
    reply = user.say("1")
    assert "改过姓名" not in reply and "结过婚" not in reply

    stamp, nonce = str(int(time.time())), "20240101"
    good = {"signature": sign(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "echostr": "8827361"}
    assert httpx.get(f"{live_server}/wechat", params=good, timeout=30).text == "8827361"
    bad = {**good, "signature": sign("someone-elses-token", stamp, nonce)}
    response = httpx.get(f"{live_server}/wechat", params=bad, timeout=30)
    assert response.status_code == 403
    assert "8827361" not in response.text


def test_a_hotline_message_with_three_asks_is_answered_in_order_within_wechats_limit(live_server):
    # a real-shaped message (salutation, masks, numbered asks): every ask answered, each reply at most 2048 bytes
    # (checked in say), the rest behind "更多"
    user = WeChatUser(live_server)
    reply = user.say("尊敬的区长：您好！本人**，今年刚退休，1、公积金怎么提取？2、多久能到账？3、要不要收费？谢谢")
    pages = [reply]
    while "回复“更多”" in reply:
        assert len(pages) < 6, "“更多” never reached the end of the answer"
        reply = user.say("更多")
        pages.append(reply)
    text = "".join(pages)
    assert "【住房公积金提取】" in pages[0] and "【第1问】" in pages[0]
    assert text.index("【第1问】") < text.index("【第2问】") < text.index("【第3问】")
    assert "不收费" in text[text.index("【第3问】") :]
