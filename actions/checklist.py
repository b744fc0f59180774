"""The checklist dialogue: a dynamic form over an item's (or bundle's) scenario tree, ending with the
personalised 一次性告知单. The form has one slot, ``scenario_answer``, asked once per question that applies;
the answers so far live in the ``answers`` slot (question id -> option id or ids, in the order given)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import answer, say_turn
from actions.services import Services, latest_entity, latest_intent, latest_text
from assistant.conversation import (
    answer_turn,
    checklist_subject,
    go_back,
    has_questions,
    next_step,
    record,
    understand_answer,
)
from assistant.links import notice_url
from nlu.options import looks_affirmative

FORM = "checklist_form"
# intents whose message is a question of its own, answered before the form asks again
QUESTION_INTENTS = {"ask_element", "ask_overview", "out_of_scope", "nlu_fallback"}


def _in_form(tracker: Tracker) -> bool:
    return tracker.active_loop.get("name") == FORM


def _answers(tracker: Tracker) -> dict:
    return dict(tracker.get_slot("answers") or {})


def send_notice(dispatcher: CollectingDispatcher, services: Services, entry_id: str, answers: dict) -> None:
    """The finished notice as chat text, then its printable page's link."""
    step = next_step(services.knowledge(), entry_id, answers)
    dispatcher.utter_message(text=step.notice.to_text())
    dispatcher.utter_message(json_message={"link": notice_url(services.public_url, entry_id, answers)})


class ActionStartChecklist(Action):
    """Starts the checklist for the item asked about (or the one being discussed)."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_start_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        knowledge = self.services.knowledge()
        context = tracker.get_slot("item_id")
        entry_id = latest_entity(tracker, "item_id")
        if latest_intent(tracker) == "affirm":
            if not looks_affirmative(latest_text(tracker)):
                # "那补领呢" taken for a yes by the classifier: it is a question, answer it
                return [*answer(self.services, dispatcher, tracker), SlotSet("checklist_ready", False)]
            entry_id = context if tracker.get_slot("offer") == "checklist" else None
            if entry_id is None:
                dispatcher.utter_message(text="好的。请问您想办理什么事项？例如“结婚登记”“护照”“公积金提取”。")
                return [SlotSet("checklist_ready", False)]
        named = latest_entity(tracker, "item")  # the lookup table's match, mapped to the item's name
        if entry_id is None and named and knowledge.catalogue.get(named) is not None:
            entry_id = knowledge.catalogue.get(named).id
        if entry_id is None:
            subject = checklist_subject(latest_text(tracker))
            turn = answer_turn(knowledge, subject, None) if subject and not subject.startswith("/") else None
            if turn is not None and turn.choices:
                dispatcher.utter_message(
                    text="请问您要生成哪个事项的材料清单？",
                    buttons=[
                        {"title": name, "payload": "/ask_checklist" + json.dumps({"item_id": i}, ensure_ascii=False)}
                        for i, name in turn.choices
                    ],
                )
                return [SlotSet("checklist_ready", False), SlotSet("offer", None)]
            entry_id = turn.entry_id if turn and turn.answer.kind == "answer" else context
        entry = knowledge.catalogue.get(entry_id) if entry_id else None
        if entry is None:
            dispatcher.utter_message(text="请问您要生成哪个事项的材料清单？例如“结婚登记”“护照”“新生儿出生一件事”。")
            return [SlotSet("checklist_ready", False), SlotSet("offer", None)]
        reset = [SlotSet("offer", None), SlotSet("item_id", entry.id), SlotSet("scenario_answer", None)]
        if not has_questions(knowledge, entry.id):
            dispatcher.utter_message(text=f"“{entry.name}”不区分情形，材料如下：")
            send_notice(dispatcher, self.services, entry.id, {})
            return [*reset, SlotSet("checklist_ready", False)]
        dispatcher.utter_message(
            text=f"好的，为您生成“{entry.name}”的一次性告知单。请回答几个问题"
            "（可点选项，也可直接说；说“上一步”返回，“不办了”结束）。"
        )
        return [*reset, SlotSet("checklist_item", entry.id), SlotSet("answers", {}), SlotSet("checklist_ready", True)]


class ActionAskScenarioAnswer(Action):
    """Asks the next scenario question that applies, with its options as buttons."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_ask_scenario_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        step = next_step(self.services.knowledge(), tracker.get_slot("checklist_item"), _answers(tracker))
        if step.question is None:
            return []
        question = step.question
        text = f"（第{step.asked + 1}题）{question.text}"
        if question.multiple:
            text += "（可多选，例如回复“1和3”）"
        buttons = [
            {"title": o.label, "payload": "/choose_option" + json.dumps({"option": o.id}, ensure_ascii=False)}
            for o in question.options
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ValidateChecklistForm(FormValidationAction):
    """Understands an answer to the question being asked; a question of another kind is answered, then the
    form asks again."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "validate_checklist_form"

    async def validate_scenario_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "scenario_answer":
            # the message that started the form ("好的", "帮我生成…清单") is not an answer to a question not yet asked
            return {"scenario_answer": None}
        knowledge = self.services.knowledge()
        entry_id = tracker.get_slot("checklist_item")
        answers = _answers(tracker)
        step = next_step(knowledge, entry_id, answers)
        if step.question is None:
            return {"scenario_answer": "done"}
        text = latest_text(tracker)
        chosen = understand_answer(step.question, str(slot_value or ""), latest_entity(tracker, "option"))
        if chosen:
            answers = record(answers, step.question, chosen)
            done = next_step(knowledge, entry_id, answers).question is None
            return {"answers": answers, "scenario_answer": "done" if done else None}
        if latest_intent(tracker) in QUESTION_INTENTS and not text.startswith("/"):
            say_turn(dispatcher, answer_turn(knowledge, text, entry_id), offer=False)
            dispatcher.utter_message(text=f"我们继续生成“{step.notice.name}”的材料清单：")
        else:
            dispatcher.utter_message(text="抱歉，没能对应到选项。请点选下面的选项，或回复选项的序号。")
        return {"scenario_answer": None}


class ActionSendChecklist(Action):
    """Sends the finished 一次性告知单 and its printable page's link."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_send_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        entry_id = tracker.get_slot("checklist_item")
        if entry_id:
            send_notice(dispatcher, self.services, entry_id, _answers(tracker))
        return [SlotSet("scenario_answer", None), SlotSet("checklist_ready", False), SlotSet("checklist_item", None)]


class ActionGoBack(Action):
    """上一步: forgets the last answer so its question is asked again."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_go_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if not _in_form(tracker):
            dispatcher.utter_message(text="现在没有可以返回的上一步。您可以直接提问，或说“生成材料清单”。")
            return []
        answers = _answers(tracker)
        if not answers:
            dispatcher.utter_message(text="已经是第一个问题了。")
        else:
            dispatcher.utter_message(text="好的，回到上一个问题。")
        return [SlotSet("answers", go_back(answers)), SlotSet("scenario_answer", None)]


class ActionStartOver(Action):
    """重新开始: in a checklist, from its first question; otherwise a fresh conversation."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if _in_form(tracker):
            dispatcher.utter_message(text="好的，我们从第一个问题重新开始。")
            return [SlotSet("answers", {}), SlotSet("scenario_answer", None)]
        dispatcher.utter_message(text="好的，我们重新开始。请问您想办理什么事项？")
        return [AllSlotsReset()]


class ActionCancel(Action):
    """不办了 inside a checklist: stops it (nothing is kept). Outside one the rules answer with utter_deny."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        dispatcher.utter_message(text="好的，已停止生成材料清单。还有其他问题可以随时问我。")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("scenario_answer", None),
            SlotSet("checklist_item", None),
            SlotSet("answers", {}),
            SlotSet("checklist_ready", False),
        ]
