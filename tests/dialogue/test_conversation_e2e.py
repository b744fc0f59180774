"""Whole conversations over HTTP through the real stack (`assistant serve`: application, Rasa server, actions).

The checklist conversations walk the scenario tree with the checklist engine beside them, so the questions asked
and the final 一次性告知单 are compared with exactly what the engine gives for the answers chosen.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from assistant.bench.replies import EVERYDAY  # the questions the replies benchmark measures
from assistant.dialogue.conversation import next_step, notice_in_chat
from knowledge.checklist import build_notice

pytestmark = pytest.mark.slow

NOTICE_IN_CHAT = 1200  # characters of a notice in the chat, its link included (the rest is on its page)
FIRST_BUBBLE = 250  # characters of an answer's first bubble, at p90 over everyday questions
WHOLE_REPLY = 600  # characters of all a turn says


class Chat:
    """One person's conversation through POST /api/v1/chat."""

    def __init__(self, base: str):
        self.base = base
        self.sender: str | None = None  # the server issues it with the first answer, as the widget gets it

    def say(self, message: str) -> list[dict]:
        body = {"message": message} if self.sender is None else {"sender_id": self.sender, "message": message}
        response = httpx.post(f"{self.base}/api/v1/chat", json=body, timeout=60)
        assert response.status_code == 200, response.text
        assert self.sender in (None, response.json()["sender_id"])  # the conversation goes on under its id
        self.sender = response.json()["sender_id"]
        return response.json()["messages"]


def text(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m["buttons"]]


def option_payload(messages: list[dict], option_id: str) -> str:
    for button in buttons(messages):
        if button["payload"].startswith("/choose_option") and json.loads(button["payload"][14:])["option"] == option_id:
            return button["payload"]
    raise AssertionError(f"no button for option {option_id} in {messages}")


def walk(chat: Chat, knowledge, entry_id: str, first: list[dict], choose) -> tuple[dict, list[dict]]:
    """Answer every question the engine says applies, checking each one asked; returns answers and last reply."""
    answers: dict = {}
    reply = first
    while True:
        step = next_step(knowledge, entry_id, answers)
        if step.done:
            return answers, reply
        assert step.question.text in text(reply), f"expected {step.question.text!r} in {text(reply)!r}"
        option, message = choose(step.question, reply)
        answers = {**answers, step.question.id: option}
        reply = chat.say(message)


def assert_notice(reply: list[dict], knowledge, entry_id: str, answers: dict) -> None:
    expected = notice_in_chat(knowledge, build_notice(knowledge.catalogue, entry_id, answers))
    notice = next(m for m in reply if m["text"].startswith("一次性告知单"))
    assert notice["text"] == expected and len(notice["text"] + notice["link"]) <= NOTICE_IN_CHAT
    link = urlsplit(notice["link"])
    assert link.path == f"/notice/{entry_id}" and dict(parse_qsl(link.query)) == answers


def test_two_level_tree_by_free_answers_ends_with_the_engines_notice(live_server, holder):
    knowledge = holder.current
    chat = Chat(live_server)
    reply = chat.say("结婚登记要带什么材料")
    assert "【内地居民结婚登记】" in text(reply)
    assert [b["payload"] for b in buttons(reply)][-2:] == ["/ask_checklist", "/deny"]
    reply = chat.say("好的")
    free = {"previous_marriage": "我们是二婚", "previous_marriage_end": "法院判的", "marriage_name_changed": "没改过"}
    chosen = {"previous_marriage": "yes", "previous_marriage_end": "court_divorce", "marriage_name_changed": "no"}
    answers, reply = walk(chat, knowledge, "marriage-registration", reply, lambda q, _: (chosen[q.id], free[q.id]))
    assert answers == chosen  # the follow-up was asked, after the option that opens it
    assert_notice(reply, knowledge, "marriage-registration", answers)


def test_everyday_answers_fit_a_phone_and_the_checklist_is_offered_once(live_server):
    chat = Chat(live_server)  # one person asking ten everyday questions in one conversation
    firsts, wholes, offers = [], [], 0
    for question in EVERYDAY:
        reply = chat.say(question)
        firsts.append(len(reply[0]["text"]))
        wholes.append(sum(len(m["text"]) + sum(len(b["title"]) for b in m["buttons"]) for m in reply))
        offers += sum(m["text"].startswith("需要为您生成一次性告知单") for m in reply)
    firsts.sort()
    assert firsts[int(0.9 * len(firsts)) - 1] <= FIRST_BUBBLE, firsts  # p90
    assert max(wholes) <= WHOLE_REPLY, wholes
    reply = chat.say("结婚登记要多少钱")  # the same item again: answered, not offered again
    assert "【内地居民结婚登记】" in text(reply) and "生成一次性告知单" not in text(reply)
    assert offers >= 5


def test_a_follow_up_button_brings_the_whole_element_on_demand(live_server):
    chat = Chat(live_server)
    reply = chat.say("结婚登记要带什么材料")
    assert "不需要户口簿" not in reply[0]["text"]  # the first bubble: the materials by name
    whole = next(b for b in buttons(reply) if b["title"] == "完整申请材料")
    reply = chat.say(whole["payload"])
    assert "不需要户口簿" in text(reply) and "完整申请材料" not in [b["title"] for b in buttons(reply)]
    place = next(b for b in buttons(reply) if b["title"] == "办理地点")
    assert "婚姻登记处" in text(chat.say(place["payload"]))


def test_a_bare_yes_answers_a_question_of_two_choices_and_progress_is_shown(live_server):
    chat = Chat(live_server)
    reply = chat.say("帮我生成结婚登记的材料清单")
    assert "第1题/共2题" in text(reply)  # 您或对方以前是否有过婚姻（结过婚）？
    reply = chat.say("是的")  # 有一方或双方以前结过婚: opens the question of how it ended
    assert "怎么结束" in text(reply) and "第2题/共3题" in text(reply)


def test_bundle_by_buttons_asks_the_union_once_and_ends_with_one_checklist(live_server, holder):
    knowledge = holder.current
    chat = Chat(live_server)
    reply = chat.say("新生儿出生一件事的材料清单")
    asked = []

    def first_option(question, messages):
        asked.append(question.id)
        return question.options[0].id, option_payload(messages, question.options[0].id)

    answers, reply = walk(chat, knowledge, "newborn-birth", reply, first_option)
    assert len(asked) == len(set(asked))  # a question shared by member items is asked once
    assert_notice(reply, knowledge, "newborn-birth", answers)


def test_numbers_go_back_and_start_over(live_server, holder):
    chat = Chat(live_server)
    reply = chat.say("帮我生成结婚登记的材料清单")
    assert "结过婚" in text(reply)
    reply = chat.say("2")
    assert "怎么结束" in text(reply)
    reply = chat.say("上一步")
    assert "结过婚" in text(reply)  # asked again
    reply = chat.say("第一个")
    assert "改过姓名" in text(reply)  # "no" skips the follow-up
    reply = chat.say("重新开始")
    assert "结过婚" in text(reply)
    reply = chat.say("不办了")
    assert "已停止" in text(reply)
    reply = chat.say("1")  # no checklist any more: read as a question, not an answer
    assert "一次性告知单：" not in text(reply) and "改过姓名" not in text(reply)


def test_a_question_inside_the_checklist_is_answered_then_the_checklist_resumes(live_server):
    chat = Chat(live_server)
    chat.say("帮我生成结婚登记的材料清单")
    reply = chat.say("结婚登记在哪里办")
    assert "办理地点" in text(reply) and "结过婚" in text(reply)
    reply = chat.say("头婚")
    assert "改过姓名" in text(reply)


def test_a_human_inside_the_checklist_then_the_checklist_resumes_when_staff_hand_back(live_server):
    admin = {"Authorization": "Bearer dev-admin-token"}  # the development admin token `assistant serve` runs with
    chat = Chat(live_server)
    assert "结过婚" in text(chat.say("帮我生成结婚登记的材料清单"))
    queued = text(chat.say("转人工"))
    assert "人工" in queued and "12345" in queued  # in the queue, the hotline still offered
    reply = text(chat.say("头婚"))  # goes to staff now, not to the checklist
    assert "工作人员" in reply and "改过姓名" not in reply

    waiting = httpx.get(f"{live_server}/api/v1/handoffs", params={"status": "open"}, headers=admin, timeout=30)
    handoff = max(waiting.json(), key=lambda h: h["id"])  # the one just opened (the live tests run one at a time)
    assert handoff["item_id"] == "marriage-registration"
    detail = httpx.get(f"{live_server}/api/v1/handoffs/{handoff['id']}", headers=admin, timeout=30).json()
    assert "帮我生成结婚登记的材料清单" in [entry["text"] for entry in detail["transcript"]]
    assert "头婚" in [m["text"] for m in detail["messages"] if m["author"] == "person"]
    for step, body in (("claim", None), ("reply", {"text": "您好，请继续回答清单的问题。"}), ("release", None)):
        done = httpx.post(f"{live_server}/api/v1/handoffs/{handoff['id']}/{step}", json=body, headers=admin, timeout=30)
        assert done.status_code == 200, (step, done.text)
    seen = httpx.get(f"{live_server}/api/v1/chat/messages", params={"sender_id": chat.sender}, timeout=30).json()
    assert "您好，请继续回答清单的问题。" in json.dumps(seen, ensure_ascii=False)  # what the widget shows

    reply = chat.say("头婚")  # back with the assistant: the checklist goes on where it was
    assert "改过姓名" in text(reply)


def test_switching_to_another_items_checklist(live_server):
    chat = Chat(live_server)
    chat.say("帮我生成结婚登记的材料清单")
    reply = chat.say("帮我生成新生儿出生一件事的材料清单")
    assert "新生儿出生一件事" in text(reply) and "结婚登记" in text(reply)  # 父母是否已办理结婚登记？


def test_context_follow_ups(live_server):
    chat = Chat(live_server)
    reply = chat.say("普通护照签发要带什么材料")
    assert "【普通护照签发】" in text(reply)
    reply = chat.say("那要多少钱？")
    assert "【普通护照签发】" in text(reply) and "收费" in text(reply)
    chat = Chat(live_server)
    chat.say("居民身份证首次申领要什么材料")
    reply = chat.say("那补领呢")
    assert "【居民身份证补领】" in text(reply)
    reply = chat.say("那换证呢")  # 换证 ends 机动车驾驶证期满换证's name too: the family's 换领 is meant
    assert "【居民身份证换领】" in text(reply) and "驾驶证" not in text(reply)
    # follow-ups naming nothing but what they ask, on the same conversation id
    chat = Chat(live_server)
    chat.say("结婚登记在哪里办")
    reply = chat.say("要本人去吗")  # 本人 names no subject: the marriage registration's visits (was refused)
    assert "【内地居民结婚登记】" in text(reply) and "亲自" in text(reply)
    reply = chat.say("能异地办吗")  # 异地 says what is asked: its 通办范围, not 异地就医备案
    assert "全国任一婚姻登记机关" in text(reply) and "异地就医" not in text(reply)
    reply = chat.say("被拒了怎么办")  # refused: its rights and remedies (was taken for chat and refused)
    assert "行政复议" in text(reply)
    reply = chat.say("去哪里拿证")  # 拿证 is collecting the certificate: where it is done (was refused)
    assert "【内地居民结婚登记】" in text(reply) and "婚姻登记处" in text(reply)


def test_a_question_of_its_own_mid_conversation_is_refused_and_the_conversation_goes_on(live_server):
    chat = Chat(live_server)  # one conversation id, as the widget keeps it
    reply = chat.say("驾驶证丢了怎么补")
    assert "【机动车驾驶证补领】" in text(reply)
    reply = chat.say("因饮酒后或醉酒驾驶被吊销驾驶证能否重新申请？")  # was answered with the replacement's conditions
    assert "【机动车驾驶证补领】" not in text(reply) and "12345" in text(reply)
    reply = chat.say("那要多少钱")  # the conversation is still about the replacement
    assert "【机动车驾驶证补领】" in text(reply)


def test_a_follow_up_naming_the_licence_asks_for_its_sibling(live_server):
    chat = Chat(live_server)  # one conversation id, as the widget keeps it
    reply = chat.say("烟草专卖零售许可证核发要带什么材料")
    assert "【烟草专卖零售许可证核发】" in text(reply)
    reply = chat.say("烟草证快到期了怎么续")  # 续: the licence's 延续, not its 核发 again
    assert "【烟草专卖零售许可证延续】" in text(reply)
    reply = chat.say("你是谁")  # not the renewal's 咨询电话
    assert "【烟草专卖零售许可证延续】" not in text(reply)
    reply = chat.say("那要多少钱")  # the conversation is still about the renewal
    assert "【烟草专卖零售许可证延续】" in text(reply) and "收费" in text(reply)


def test_real_messages_in_one_conversation(live_server):
    chat = Chat(live_server)  # one person, one conversation id, as a returning citizen keeps it
    reply = chat.say("我想给娃上户口")
    assert "【出生登记】" in text(reply) and "上一步" not in text(reply)
    reply = chat.say("社保卡怎么办？")  # a new subject named by an alias, not refused in the context of 出生登记
    assert "【社会保障卡申领】" in text(reply)
    reply = chat.say("领导您好，我刚买了辆二手车**，1、过户要带什么材料？2、过期会罚款吗？谢谢")
    assert "【机动车转移登记】" in text(reply) and "【第2问】" in text(reply)
    assert "二百元以下罚款" in text(reply).split("【第2问】")[1]  # the further ask, from the first one's guide
    reply = chat.say("结婚登记要带什么")
    assert "【内地居民结婚登记】" in text(reply)
    reply = chat.say("我们俩都是外地户口可以在这边办吗")  # 户口 says where they are registered: still 结婚登记
    assert "【内地居民结婚登记】" in text(reply) and "全国通办" in text(reply)
    reply = chat.say("需要拍照吗")  # every word of it is the guide's: answered from it, not refused
    assert "【内地居民结婚登记】" in text(reply) and "合影照片" in text(reply)
    reply = chat.say("在吗")  # chit-chat: not the marriage registration's 办理地点, and the conversation goes on
    assert "【内地居民结婚登记】" not in text(reply)
    reply = chat.say("领导您好，我们俩都是外地户口，在这边工作好几年了，一直没时间回老家，请问可以直接在这边办吗？谢谢")
    assert "【内地居民结婚登记】" in text(reply) and "全国通办" in text(reply)  # a long follow-up, as a hotline writes
    reply = chat.say("那离婚要带什么")
    assert "【内地居民离婚登记】" in text(reply)
    reply = chat.say("外地户口孩子能在这上小学吗")  # 外地户口 tells who they are; 小学 is what is asked about
    assert "【义务教育阶段新生入学登记】" in text(reply) and "在外地读完小学" not in text(reply)
    reply = chat.say(
        "领导您好，我是**区居民，户口在外省，之前迁出去了，现在想迁回原籍，请问需要什么手续。望领导给予回复！"
    )
    assert "【户口迁移登记】" in text(reply)
    reply = chat.say("您好，我想办理工作居住证，请问需要什么条件？谢谢")
    assert "您问的是“工作居住证”，本助手暂未收录" in text(reply) and "12345" in text(reply)
    reply = chat.say("那要带什么材料")  # still about 工作居住证: neither 户口迁移登记's materials nor "which item?"
    assert "您问的是“工作居住证”" in text(reply) and "【户口迁移登记】" not in text(reply)
    reply = chat.say("居住证要带什么材料")  # an item of ours again
    assert "【居住证申领】" in text(reply)
    reply = chat.say("身份证丢了怎么补")
    assert "【居民身份证补领】" in text(reply)
    reply = chat.say("不服怎么办")  # 不服 says what is asked: the guide's remedies, though it writes 有异议
    assert "【居民身份证补领】" in text(reply) and "行政复议" in text(reply)
    reply = chat.say("护照有效期几年")  # 护照, a thing of another guide's: not answered from the ID card's
    assert "【普通护照签发】" in text(reply) and "【居民身份证补领】" not in text(reply)
    reply = chat.say("那要多少钱")  # the conversation is now about the passport
    assert "【普通护照签发】" in text(reply) and "收费" in text(reply)
    reply = chat.say("我们公司决定换法定代表人，1、变更法人要在多长时间内去办？2、逾期会怎样？")
    assert "【公司变更登记】" in text(reply)
    second = text(reply).split("【第2问】")[1]  # an ask of no element: beyond this guide, not beyond our services
    assert "“公司变更登记”的办事指南中找到答案" in second and "不在我能解答" not in second
    reply = chat.say("股份有限公司设立登记要带什么材料")
    assert "【股份有限公司设立登记】" in text(reply)
    reply = chat.say("那发起人最多可以有多少人")  # how many: the conditions, not the consultation line
    assert "二百人以下" in text(reply) and "咨询电话" not in text(reply)
    # whether first, then what it takes once granted, each in its own part
    reply = chat.say(
        "我家孩子今年9月该上一年级了，但身体不太好，想延缓一年入学，不知可不可以，如果可以需要办理什么手续？"
    )
    assert "【义务教育阶段新生入学登记】" in text(reply) and "受理条件" in text(reply).split("【第2问】")[0]
    # the same person, later: a shop's fee told in a follow-up, a rare word of asking, a fine
    reply = chat.say("抵押登记收费多少")
    assert "【不动产抵押登记】" in text(reply)
    reply = chat.say("那我这是门面房，登记费要交多少")
    assert "每件550元" in text(reply) and "（住宅类抵押权登记）" not in text(reply)
    reply = chat.say("护照丢了补办要登报吗")
    assert "不需要登报" in text(reply)
    reply = chat.say("公司一直不给开公积金户会罚多少")
    assert "1万元以上5万元以下" in text(reply) and "收费标准" not in text(reply)


def test_the_story_fills_the_checklist_in_and_only_the_rest_is_asked(live_server, holder):
    chat = Chat(live_server)
    reply = chat.say("我已经退休了，想把公积金取出来，要带什么")
    assert "【住房公积金提取】" in text(reply) and "离休、退休证明" in text(reply)
    reply = chat.say("好的")
    assert "已为您选好：离休、退休" in text(reply)
    step = next_step(holder.current, "housing-fund-withdrawal", {"fund_withdrawal_reason": "retirement"})
    if step.question is not None:  # the reason is not asked again: the next question is
        assert step.question.text in text(reply) and "因为什么情形提取" not in text(reply)


def test_ambiguity_is_resolved_by_asking(live_server):
    chat = Chat(live_server)
    reply = chat.say("驾照要多少钱")
    titles = [b["title"] for b in buttons(reply)]
    assert {"机动车驾驶证补领", "机动车驾驶证期满换证"} <= set(titles)
    chosen = next(b for b in buttons(reply) if b["title"] == "机动车驾驶证补领")
    reply = chat.say(chosen["payload"])
    assert "【机动车驾驶证补领】" in text(reply) and "收费" in text(reply)  # the element asked is kept


def test_out_of_scope_and_human(live_server):
    chat = Chat(live_server)
    assert "12345" in text(chat.say("今天天气怎么样"))
    assert "12345" in text(chat.say("转人工"))


@pytest.mark.parametrize(
    "message", ["", "   ", "😀😀😀", "<script>alert(1)</script>", "x" * 5000, "hello", "'; DROP TABLE x;--"]
)
def test_odd_messages_get_a_sensible_reply(live_server, message):
    reply = Chat(live_server).say(message)
    assert reply and all(m["text"] for m in reply)


def test_concurrent_conversations_never_mix(live_server, holder):
    async def conversation(opening: str, expected: str) -> str:
        sender = None  # issued with the first answer
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as client:
            replies = []
            for message in [opening, "1"]:
                body = {"message": message} if sender is None else {"sender_id": sender, "message": message}
                response = await client.post("/api/v1/chat", json=body)
                assert sender in (None, response.json()["sender_id"])
                sender = response.json()["sender_id"]
                replies.append(text(response.json()["messages"]))
        assert expected in replies[0]
        return replies[1]

    async def both():
        return await asyncio.gather(
            *[conversation("帮我生成结婚登记的材料清单", "结过婚") for _ in range(3)],
            *[conversation("新生儿出生一件事的材料清单", "父母是否已办理结婚登记") for _ in range(3)],
        )

    results = asyncio.run(both())
    assert all("改过姓名" in r for r in results[:3])  # marriage: "1" = 头婚 -> name question
    assert all("随父亲还是随母亲" in r for r in results[3:])  # newborn: "1" = married -> 落户
