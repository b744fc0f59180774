"""Every action with built trackers and a CollectingDispatcher: the events it returns and what it says."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import ACTIONS, Services, build_executor
from actions.answer import ActionAnswer, ActionHandoff
from actions.checklist import (
    ActionAskScenarioAnswer,
    ActionCancel,
    ActionGoBack,
    ActionSendChecklist,
    ActionStartChecklist,
    ActionStartOver,
    ValidateChecklistForm,
)
from knowledge.checklist import build_notice
from nlu import AS_WRITTEN
from nlu.options import looks_like_command

pytestmark = pytest.mark.integration

MARRIAGE = "marriage-registration"
PASSPORT = "ordinary-passport-issuance"


@pytest.fixture(scope="module")
def services(holder) -> Services:
    return Services(knowledge=lambda: holder.current, public_url="http://example.test")


def tracker(text="", intent="ask_element", slots=None, entities=None, form=None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"answers": {}, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def run(action, t: Tracker):
    """The action's events and the messages a person sees (what each answered, ``meta``, is in :func:`metas`)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, [m for m in dispatcher.messages if "meta" not in (m.get("custom") or {})]


def metas(action, t: Tracker) -> list[dict]:
    """What the action's messages answered, as it tells the channels (stored for ratings, the unanswered queue)."""
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, t, {}))
    return [m["custom"]["meta"] for m in dispatcher.messages if "meta" in (m.get("custom") or {})]


def slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_every_action_is_registered_under_its_domain_name(services):
    executor = build_executor(services)
    assert set(executor.actions) == {action(services).name() for action in ACTIONS}


def test_answer_quotes_the_guide_in_short_with_the_rest_on_demand_and_offers_the_checklist(services):
    events, messages = run(ActionAnswer(services), tracker("结婚登记要带什么材料"))
    first = messages[0]["text"]
    assert "内地居民结婚登记" in first and "居民身份证" in first and "合影照片" in first  # every material, by name
    assert len(first) <= 250 and first.count("依据") == 1  # a phone's first bubble, its citation in one line
    assert "生成清单" not in first  # the offer comes once, with its buttons
    asked = [json.loads(b["payload"].removeprefix("/ask_element")) for b in messages[0]["buttons"]]
    assert asked[0] == {"item_id": MARRIAGE, "element": "materials"}  # the whole of what was asked, first
    assert [a["element"] for a in asked[1:]] == ["location", "time_limit"]
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/ask_checklist", "/deny"]
    assert slots(events) == {
        "offer": "checklist",
        "offered": [MARRIAGE],
        "item_id": MARRIAGE,
        "lacking": None,
        "element": "materials",
        "story": None,
    }


def test_a_follow_up_button_gives_the_whole_element(services):
    entities = [{"entity": "item_id", "value": MARRIAGE}, {"entity": "element", "value": "materials"}]
    payload = '/ask_element{"item_id": "marriage-registration", "element": "materials"}'
    events, messages = run(ActionAnswer(services), tracker(payload, entities=entities, slots={"offered": [MARRIAGE]}))
    whole = messages[0]["text"]
    assert "不需要户口簿" in whole and "原件" in whole  # the details the first bubble left out
    assert "材料" not in "".join(b["title"] for b in messages[0]["buttons"])  # not offered again
    assert len(messages) == 1 and slots(events)["element"] == "materials"  # the checklist was offered before


def test_the_checklist_is_offered_once_per_item_in_a_conversation(services):
    events, messages = run(ActionAnswer(services), tracker("结婚登记要多少钱", slots={"offered": [MARRIAGE]}))
    assert len(messages) == 1 and "/ask_checklist" not in json.dumps(messages, ensure_ascii=False)
    assert "offered" not in slots(events) and slots(events)["offer"] is None
    events, messages = run(ActionAnswer(services), tracker("护照怎么办", slots={"offered": [MARRIAGE]}))
    assert slots(events)["offered"] == [MARRIAGE, PASSPORT]  # another item: offered for it


def test_follow_up_uses_the_conversation_item(services):
    events, messages = run(ActionAnswer(services), tracker("那要多少钱", slots={"item_id": PASSPORT}))
    assert slots(events)["item_id"] == PASSPORT and slots(events)["element"] == "fee"
    assert "收费" in messages[0]["text"] or "元" in messages[0]["text"]


@pytest.mark.parametrize(
    ("context", "message", "member"),
    [
        ("resident-id-card-first", "那补领呢", "resident-id-card-reissue"),
        # the word ends another family's name (机动车驾驶证期满换证, 职工基本养老保险关系转移接续, 不动产转移登记)
        ("resident-id-card-first", "那换证呢", "resident-id-card-renewal"),
        ("housing-fund-withdrawal", "那转移呢", "housing-fund-account-transfer"),
        ("motor-vehicle-registration", "那过户呢", "motor-vehicle-transfer-registration"),
        # naming the conversation's licence (烟草证) and asking for another of its family (延续: 续)
        ("tobacco-retail-licence", "烟草证快到期了怎么续", "tobacco-retail-licence-renewal"),
    ],
)
def test_follow_up_switches_within_the_family(services, context, message, member):
    events, _ = run(ActionAnswer(services), tracker(message, slots={"item_id": context}))
    assert slots(events)["item_id"] == member


@pytest.mark.parametrize(
    ("context", "message", "then"),
    [
        # where the household is registered tells who the person is: the conversation's service is still asked about
        (MARRIAGE, "我们俩都是外地户口可以在这边办吗", MARRIAGE),
        # ... unless the question asks about something another service names (小学)
        ("marriage-certificate-replacement", "外地户口孩子能在这上小学吗", "compulsory-education-enrollment"),
        (MARRIAGE, "外地户口孩子上小学要什么材料", "compulsory-education-enrollment"),
    ],
)
def test_a_follow_up_telling_the_household_switches_only_when_it_asks_about_another_service(
    services, context, message, then
):
    events, _ = run(ActionAnswer(services), tracker(message, slots={"item_id": context}))
    assert slots(events).get("item_id", context) == then


@pytest.mark.parametrize("chat", ["在吗", "你是谁", "你叫什么名字"])
def test_chit_chat_in_a_conversation_is_not_answered_from_its_guide(services, chat):
    # not the passport's 办理地点, 咨询电话 or 设定依据 because the words look like asking for them
    _, messages = run(ActionAnswer(services), tracker(chat, intent="out_of_scope", slots={"item_id": PASSPORT}))
    assert "【普通护照签发】" not in messages[0]["text"] and "12345" in messages[0]["text"]


@pytest.mark.parametrize("unrelated", ["帮我查下明天的天气", "今天天气怎么样"])
def test_out_of_scope_is_refused_naming_the_human_channel_and_keeps_the_context(services, unrelated: str):
    # a short unrelated question is not read as "普通护照" + it (which found the passport's overview)
    events, messages = run(
        ActionAnswer(services), tracker(unrelated, intent="out_of_scope", slots={"item_id": PASSPORT})
    )
    assert "12345" in messages[0]["text"]
    assert "【普通护照签发】" not in messages[0]["text"]
    assert "item_id" not in slots(events) and slots(events)["offer"] is None


def test_a_service_the_catalogue_lacks_is_a_new_subject_the_conversation_moves_to(services):
    # after 结婚登记, "电动自行车上牌去哪里办" is refused by name; "要带什么材料" next must not list the marriage's
    events, messages = run(ActionAnswer(services), tracker("电动自行车上牌去哪里办", slots={"item_id": MARRIAGE}))
    assert "您问的是“电动自行车”" in messages[0]["text"]
    assert slots(events)["item_id"] is None
    assert slots(events)["lacking"] == "电动自行车"
    # "要带什么材料" next is about that service still: refused by its name again, not "which item?"
    after = {"item_id": slots(events)["item_id"], "lacking": slots(events)["lacking"]}
    events, messages = run(ActionAnswer(services), tracker("要带什么材料", slots=after))
    assert "【内地居民结婚登记】" not in messages[0]["text"]
    assert "您问的是“电动自行车”" in messages[0]["text"]
    # a question about an item of ours moves the conversation on, and "要多少钱" next is about that item
    events, _ = run(ActionAnswer(services), tracker("护照怎么办", slots=after))
    assert slots(events)["item_id"] == PASSPORT and slots(events)["lacking"] is None
    _, messages = run(ActionAnswer(services), tracker("要多少钱", slots={"item_id": PASSPORT, "lacking": None}))
    assert messages[0]["text"].startswith("【普通护照签发】")


def test_a_clarifying_button_answers_about_the_chosen_item(services):
    t = tracker(
        '/ask_element{"item_id":"resident-id-card-reissue"}',
        entities=[{"entity": "item_id", "value": "resident-id-card-reissue"}],
        slots={"element": "materials"},
    )
    events, messages = run(ActionAnswer(services), t)
    assert messages[0]["text"].startswith("【居民身份证补领】")
    assert slots(events)["item_id"] == "resident-id-card-reissue"


def test_handoff_names_12345_and_the_items_own_line(services):
    _, messages = run(ActionHandoff(services), tracker("转人工", intent="ask_human", slots={"item_id": PASSPORT}))
    assert "12345" in messages[0]["text"] and "普通护照签发" in messages[0]["text"]
    # and tells the channels to open a handoff about the item
    assert metas(ActionHandoff(services), tracker("转人工", intent="ask_human", slots={"item_id": PASSPORT})) == [
        {"outcome": "handoff", "item_id": PASSPORT}
    ]


def test_an_answer_and_a_refusal_say_what_they_answered(services):
    [answered] = metas(ActionAnswer(services), tracker("结婚登记要多少钱"))
    assert answered["outcome"] == "answer" and answered["item_id"] == MARRIAGE and answered["element"] == "fee"
    assert answered["version"] and 0 < answered["confidence"] <= 1
    [refused] = metas(ActionAnswer(services), tracker("今天天气怎么样", intent="out_of_scope"))
    assert refused["outcome"] == "out_of_scope" and refused["item_id"] is None


def test_start_checklist_for_the_item_named(services):
    events, messages = run(
        ActionStartChecklist(services), tracker("帮我生成结婚登记的材料清单", intent="ask_checklist")
    )
    assert slots(events)["checklist_item"] == MARRIAGE and slots(events)["checklist_ready"] is True
    assert slots(events)["answers"] == {}
    assert "内地居民结婚登记" in messages[0]["text"]


def test_a_checklist_of_an_ambiguous_name_asks_which_item(services):
    events, messages = run(ActionStartChecklist(services), tracker("帮我生成驾驶证的材料清单", intent="ask_checklist"))
    assert slots(events)["checklist_ready"] is False
    assert {b["title"] for b in messages[0]["buttons"]} >= {"机动车驾驶证补领", "机动车驾驶证期满换证"}
    assert messages[0]["buttons"][0]["payload"].startswith("/ask_checklist{")


def test_a_chosen_checklist_button_starts_that_checklist(services):
    t = tracker(
        '/ask_checklist{"item_id":"ordinary-passport-issuance"}',
        intent="ask_checklist",
        entities=[{"entity": "item_id", "value": PASSPORT}],
    )
    events, _ = run(ActionStartChecklist(services), t)
    assert slots(events)["checklist_item"] == PASSPORT and slots(events)["checklist_ready"] is True


def test_accepting_the_offer_starts_the_offered_items_checklist(services):
    events, _ = run(
        ActionStartChecklist(services),
        tracker("好的", intent="affirm", slots={"item_id": MARRIAGE, "offer": "checklist"}),
    )
    assert slots(events)["checklist_item"] == MARRIAGE and slots(events)["checklist_ready"] is True


def test_a_question_taken_for_a_yes_is_answered_not_accepted(services):
    t = tracker("那补领呢", intent="affirm", slots={"item_id": "resident-id-card-first", "offer": "checklist"})
    events, messages = run(ActionStartChecklist(services), t)
    assert slots(events)["checklist_ready"] is False and slots(events)["item_id"] == "resident-id-card-reissue"
    assert messages[0]["text"].startswith("【居民身份证补领】")


def test_what_the_question_told_fills_the_checklist_in_and_is_said(services):
    story = {"entry": "housing-fund-withdrawal", "answers": {"fund_withdrawal_reason": "retirement"}}
    t = tracker(
        "好的", intent="affirm", slots={"item_id": "housing-fund-withdrawal", "offer": "checklist", "story": story}
    )
    events, messages = run(ActionStartChecklist(services), t)
    assert slots(events)["answers"] == {"fund_withdrawal_reason": "retirement"}  # asked only the rest
    assert slots(events)["checklist_ready"] is True and slots(events)["story"] is None
    assert "已为您选好：离休、退休" in messages[0]["text"] and "上一步" in messages[0]["text"]


def test_a_story_about_another_item_fills_nothing_in(services):
    story = {"entry": "housing-fund-withdrawal", "answers": {"fund_withdrawal_reason": "retirement"}}
    t = tracker("好的", intent="affirm", slots={"item_id": MARRIAGE, "offer": "checklist", "story": story})
    events, messages = run(ActionStartChecklist(services), t)
    assert slots(events)["answers"] == {} and "已为您选好" not in messages[0]["text"]


def test_an_answer_keeps_what_the_story_told_for_the_checklist(services):
    events, messages = run(ActionAnswer(services), tracker("我已经退休了，想把公积金取出来，要带什么"))
    assert slots(events)["story"] == {
        "entry": "housing-fund-withdrawal",
        "answers": {"fund_withdrawal_reason": "retirement"},
    }
    assert "离休、退休证明" in messages[0]["text"]


def test_affirm_without_an_offer_asks_what_to_do(services):
    events, messages = run(
        ActionStartChecklist(services), tracker("好的", intent="affirm", slots={"item_id": MARRIAGE})
    )
    assert slots(events) == {"checklist_ready": False} and "什么事项" in messages[0]["text"]


def test_checklist_without_an_item_asks_which(services):
    events, messages = run(ActionStartChecklist(services), tracker("帮我生成材料清单", intent="ask_checklist"))
    assert slots(events)["checklist_ready"] is False and "哪个事项" in messages[0]["text"]


def test_ask_shows_the_next_question_with_option_buttons(services):
    _, messages = run(ActionAskScenarioAnswer(services), tracker(slots={"checklist_item": MARRIAGE}))
    assert "结过婚" in messages[0]["text"] and "第1题/共2题" in messages[0]["text"]  # where the person is
    assert [json.loads(b["payload"].removeprefix("/choose_option"))["option"] for b in messages[0]["buttons"]] == [
        "no",
        "yes",
    ]


def test_ask_follows_the_tree(services):
    _, messages = run(
        ActionAskScenarioAnswer(services),
        tracker(slots={"checklist_item": MARRIAGE, "answers": {"previous_marriage": "yes"}}),
    )
    assert "怎么结束" in messages[0]["text"]  # the follow-up opened by "yes"
    assert "第2题/共3题" in messages[0]["text"]  # the count grows with the question "yes" opened


def validate(services, text, answers, intent="choose_option", entities=None, item=MARRIAGE):
    t = tracker(
        text,
        intent=intent,
        entities=entities,
        slots={"checklist_item": item, "answers": answers, "requested_slot": "scenario_answer"},
        form="checklist_form",
    )
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateChecklistForm(services).validate_scenario_answer(text, dispatcher, t, {}))
    return result, dispatcher.messages


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", "yes"), ("第二个", "yes"), ("我们是二婚", "yes"), ("头婚", "no"), ("no", "no")],
)
def test_free_answers_choose_the_right_option(services, text, expected):
    result, _ = validate(services, text, {})
    assert result == {"answers": {"previous_marriage": expected}, "scenario_answer": None}


def test_the_message_that_starts_the_form_is_not_an_answer(services):
    t = tracker("好的", intent="affirm", slots={"checklist_item": MARRIAGE}, form="checklist_form")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateChecklistForm(services).validate_scenario_answer("好的", dispatcher, t, {}))
    assert result == {"scenario_answer": None} and dispatcher.messages == []


def test_a_button_payload_chooses_its_option(services):
    result, _ = validate(
        services, '/choose_option{"option":"yes"}', {}, entities=[{"entity": "option", "value": "yes"}]
    )
    assert result["answers"] == {"previous_marriage": "yes"}


def test_a_bare_yes_answers_a_question_whose_options_are_worded_as_choices(services):
    result, _ = validate(services, "是的", {})  # 您或对方以前是否有过婚姻？ 双方都没有结过婚 / 有一方或双方以前结过婚
    assert result["answers"] == {"previous_marriage": "yes"}
    result, _ = validate(services, "不是", {})
    assert result["answers"] == {"previous_marriage": "no"}


def test_the_last_answer_completes_the_form(services):
    result, _ = validate(services, "没改过", {"previous_marriage": "no"})
    assert result == {"answers": {"previous_marriage": "no", "marriage_name_changed": "no"}, "scenario_answer": "done"}


def test_a_question_inside_the_form_is_answered_and_the_question_asked_again(services):
    result, messages = validate(services, "结婚登记要多少钱", {}, intent="ask_element")
    assert result == {"scenario_answer": None}
    assert "不收费" in messages[0]["text"] or "收费" in messages[0]["text"]
    assert "继续" in messages[-1]["text"]
    # no second checklist offered in the middle of one
    assert "/ask_checklist" not in json.dumps(messages, ensure_ascii=False)


def test_an_answer_that_fits_no_option_is_asked_again(services):
    result, messages = validate(services, "紫色", {}, intent="choose_option")
    assert result == {"scenario_answer": None} and "序号" in messages[0]["text"]


def test_send_checklist_names_every_material_of_the_engines_notice_in_short_with_its_page(services, holder):
    answers = {"previous_marriage": "yes", "previous_marriage_end": "court_divorce", "marriage_name_changed": "no"}
    events, messages = run(
        ActionSendChecklist(services), tracker(slots={"checklist_item": MARRIAGE, "answers": answers})
    )
    notice = build_notice(holder.current.catalogue, MARRIAGE, answers)
    text = messages[0]["text"]
    assert f"申请材料（共{len(notice.materials)}项）" in text
    assert all(m.name in text for m in notice.materials)  # every material, by name, in the chat
    assert "权利与救济" not in text.split("\n")[-3] and len(text) < 600  # the rest is on the page
    assert text.count("虚构示例") == 1  # the fictional-region marker once
    link = messages[1]["custom"]["link"]
    assert (
        link.startswith("http://example.test/notice/marriage-registration?")
        and "previous_marriage_end=court_divorce" in link
    )
    assert slots(events)["checklist_item"] is None


def test_go_back_forgets_the_last_answer(services):
    t = tracker(
        "上一步",
        intent="go_back",
        slots={"answers": {"previous_marriage": "yes", "previous_marriage_end": "widowed"}},
        form="checklist_form",
    )
    events, messages = run(ActionGoBack(services), t)
    assert slots(events)["answers"] == {"previous_marriage": "yes"} and "上一个问题" in messages[0]["text"]


def test_go_back_outside_a_checklist_says_so(services):
    events, messages = run(ActionGoBack(services), tracker("上一步", intent="go_back"))
    assert events == [] and "没有可以返回" in messages[0]["text"]


@pytest.mark.parametrize("message", ["我想给娃上户口", "给孩子上户口要带什么"])
def test_a_request_taken_for_go_back_is_answered_as_the_question_it_is(services, message):
    _, messages = run(ActionGoBack(services), tracker(message, intent="go_back"))
    assert "【出生登记】" in messages[0]["text"] and "没有可以返回" not in messages[0]["text"]


def test_a_question_taken_for_go_back_inside_a_checklist_is_answered_and_the_answers_kept(services):
    answers = {"previous_marriage": "yes"}
    t = tracker("重新办身份证要多少钱", intent="start_over", slots={"answers": answers}, form="checklist_form")
    t.slots["checklist_item"] = "marriage-registration"
    events, messages = run(ActionStartOver(services), t)
    assert events == []  # nothing forgotten
    assert "身份证" in messages[0]["text"] and "继续" in messages[-1]["text"]


@pytest.mark.parametrize(
    ("message", "command", "expected"),
    [
        ("上一步", "go_back", True),
        ("返回", "go_back", True),
        ("我选错了", "go_back", True),
        ("我想给娃上户口", "go_back", False),
        ("上户口要带什么", "go_back", False),
        ("重新开始", "start_over", True),
        ("重来吧", "start_over", True),
        ("重新办身份证要多少钱", "start_over", False),
    ],
)
def test_commands_are_told_from_requests_that_sound_like_them(message, command, expected):
    assert looks_like_command(message, command) is expected


def test_start_over_inside_a_checklist_clears_the_answers(services):
    t = tracker("重新开始", intent="start_over", slots={"answers": {"previous_marriage": "yes"}}, form="checklist_form")
    events, _ = run(ActionStartOver(services), t)
    assert slots(events)["answers"] == {}


def test_start_over_outside_resets_the_conversation(services):
    events, _ = run(ActionStartOver(services), tracker("重新开始", intent="start_over"))
    assert events == [AllSlotsReset()]


def test_cancel_stops_the_form(services):
    events, messages = run(ActionCancel(services), tracker("不办了", intent="cancel", form="checklist_form"))
    assert ActiveLoop(None) in events and slots(events)["checklist_item"] is None
    assert "已停止" in messages[0]["text"]
    assert SlotSet("checklist_ready", False) in events


def test_the_answer_reads_the_message_as_written_not_the_classifiers_normalised_text(services):
    # Rasa's pipeline hands the actions "text" normalised (punctuation, masks and numbering gone) and the message
    # as written beside it: the three numbered asks are read from the latter
    written = "尊敬的区长：您好！本人**，今年刚退休，1、公积金怎么提取？2、多久能到账？3、要不要收费？谢谢"
    t = tracker("本人今年刚退休1公积金怎么提取2多久能到账3要不要收费")
    t.latest_message[AS_WRITTEN] = written
    _, messages = run(ActionAnswer(services), t)
    text = messages[0]["text"]
    assert "【住房公积金提取】" in text and text.index("【第1问】") < text.index("【第2问】") < text.index("【第3问】")
