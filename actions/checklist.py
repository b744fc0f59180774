"""The checklist dialogue: a dynamic form over an item's (or bundle's) scenario tree, ending with the
personalised 一次性告知单. The form has one slot, ``scenario_answer``, asked once per question that applies;
the answers so far live in the ``answers`` slot (question id -> option id or ids, in the order given)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import answer, choice_buttons, reply_turn, say_turn
from actions.services import Services, latest_entity, latest_intent, latest_text
from assistant.dialogue.conversation import (
    answer_turn,
    checklist_subject,
    go_back,
    has_questions,
    next_step,
    notice_in_chat,
    record,
    understand_answer,
)
from assistant.dialogue.links import notice_url
from assistant.qa.compose import story_facts
from knowledge.schema import Item
from nlu.options import looks_affirmative, looks_like_command

FORM = "checklist_form"
# intents whose message is a question of its own, answered before the form asks again
QUESTION_INTENTS = {"ask_element", "ask_overview", "out_of_scope", "nlu_fallback"}


def _in_form(tracker: Tracker) -> bool:
    return tracker.active_loop.get("name") == FORM


def _answers(tracker: Tracker) -> dict:
    return dict(tracker.get_slot("answers") or {})


def _answer_instead(services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """A message the classifier took for a command that is a question after all: answered; inside a checklist
    the form then asks its question again."""
    if not _in_form(tracker):
        return answer(services, dispatcher, tracker)
    knowledge = services.knowledge()
    entry_id = tracker.get_slot("checklist_item")
    say_turn(dispatcher, reply_turn(knowledge, tracker, entry_id), knowledge.qa.replies, offer=False)
    name = next_step(knowledge, entry_id, _answers(tracker)).notice.name
    dispatcher.utter_message(text=knowledge.qa.replies("checklist_continue", name=name))
    return []


def send_notice(dispatcher: CollectingDispatcher, services: Services, entry_id: str, answers: dict) -> None:
    """The finished notice in short (materials by name, where to go), with its page's link for the whole of it:
    a phone shows the materials first, and the page prints, or gives the PDF."""
    knowledge = services.knowledge()
    dispatcher.utter_message(text=notice_in_chat(knowledge, next_step(knowledge, entry_id, answers).notice))
    dispatcher.utter_message(json_message={"link": notice_url(services.public_url, entry_id, answers)})
    dispatcher.utter_message(
        json_message={"meta": {"outcome": "notice", "item_id": entry_id, "version": knowledge.version}}
    )


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
                dispatcher.utter_message(text=knowledge.qa.replies("checklist_which_item"))
                return [SlotSet("checklist_ready", False)]
        named = latest_entity(tracker, "item")  # the lookup table's match, mapped to the item's name
        if entry_id is None and named and knowledge.catalogue.get(named) is not None:
            entry_id = knowledge.catalogue.get(named).id
        if entry_id is None:
            subject = checklist_subject(latest_text(tracker))
            turn = answer_turn(knowledge, subject, None) if subject and not subject.startswith("/") else None
            if turn is not None and turn.answer.choices:
                dispatcher.utter_message(
                    text=knowledge.qa.replies("checklist_which_of"),
                    buttons=choice_buttons(turn.answer.choices, "ask_checklist"),
                )
                return [SlotSet("checklist_ready", False), SlotSet("offer", None)]
            entry_id = turn.entry_id if turn and turn.answer.kind == "answer" else context
        entry = knowledge.catalogue.get(entry_id) if entry_id else None
        if entry is None:
            dispatcher.utter_message(text=knowledge.qa.replies("checklist_which_entry"))
            return [SlotSet("checklist_ready", False), SlotSet("offer", None)]
        reset = [SlotSet("offer", None), SlotSet("item_id", entry.id), SlotSet("scenario_answer", None)]
        if not has_questions(knowledge, entry.id):
            dispatcher.utter_message(text=knowledge.qa.replies("checklist_no_questions", name=entry.name))
            send_notice(dispatcher, self.services, entry.id, {})
            return [*reset, SlotSet("checklist_ready", False)]
        told = tracker.get_slot("story") or {}
        answers = dict(told.get("answers") or {}) if told.get("entry") == entry.id and isinstance(entry, Item) else {}
        text = knowledge.qa.replies("checklist_start", name=entry.name)
        if answers:
            # what the question's story told is filled in, said, and can be corrected ("上一步", "重新开始")
            text += "\n" + knowledge.qa.replies("checklist_prefilled", facts=story_facts(entry, answers))
        dispatcher.utter_message(text=text)
        if answers and next_step(knowledge, entry.id, answers).done:  # the story answered every question
            send_notice(dispatcher, self.services, entry.id, answers)
            return [*reset, SlotSet("answers", answers), SlotSet("checklist_ready", False), SlotSet("story", None)]
        return [
            *reset,
            SlotSet("checklist_item", entry.id),
            SlotSet("answers", answers),
            SlotSet("checklist_ready", True),
            SlotSet("story", None),
        ]


class ActionAskScenarioAnswer(Action):
    """Asks the next scenario question that applies, with its options as buttons."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_ask_scenario_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        knowledge = self.services.knowledge()
        step = next_step(knowledge, tracker.get_slot("checklist_item"), _answers(tracker))
        if step.question is None:
            return []
        question = step.question
        replies = knowledge.qa.replies
        text = replies("checklist_question", number=step.asked + 1, total=step.total, question=question.text)
        if question.multiple:
            text += replies("checklist_multiple")
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
        asked = latest_intent(tracker) in QUESTION_INTENTS
        if asked and (not text.startswith("/") or latest_entity(tracker, "item_id")):  # typed, or a button's entry
            say_turn(dispatcher, reply_turn(knowledge, tracker, entry_id), knowledge.qa.replies, offer=False)
            dispatcher.utter_message(text=knowledge.qa.replies("checklist_continue", name=step.notice.name))
        else:
            dispatcher.utter_message(text=knowledge.qa.replies("checklist_not_understood"))
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
        replies = self.services.knowledge().qa.replies
        if not looks_like_command(latest_text(tracker), "go_back"):
            return _answer_instead(self.services, dispatcher, tracker)  # "我想给娃上户口" is not 上一步
        if not _in_form(tracker):
            dispatcher.utter_message(text=replies("checklist_back_nothing"))
            return []
        answers = _answers(tracker)
        dispatcher.utter_message(text=replies("checklist_back" if answers else "checklist_back_first"))
        return [SlotSet("answers", go_back(answers)), SlotSet("scenario_answer", None)]


class ActionStartOver(Action):
    """重新开始: in a checklist, from its first question; otherwise a fresh conversation."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        replies = self.services.knowledge().qa.replies
        if not looks_like_command(latest_text(tracker), "start_over"):
            return _answer_instead(self.services, dispatcher, tracker)
        if _in_form(tracker):
            dispatcher.utter_message(text=replies("checklist_start_over"))
            return [SlotSet("answers", {}), SlotSet("scenario_answer", None)]
        dispatcher.utter_message(text=replies("start_over"))
        return [AllSlotsReset()]


class ActionCancel(Action):
    """不办了 inside a checklist: stops it (nothing is kept). Outside one the rules answer with utter_deny."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        dispatcher.utter_message(text=self.services.knowledge().qa.replies("checklist_cancelled"))
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("scenario_answer", None),
            SlotSet("checklist_item", None),
            SlotSet("answers", {}),
            SlotSet("checklist_ready", False),
        ]
