"""Answering a question from the guide, and handing over to a human."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, latest_entity, latest_text
from assistant.answers import CHECKLIST_OFFER
from assistant.conversation import HUMAN_CHANNEL, Turn, answer_about, answer_turn
from knowledge.render import contact_line


def turn_buttons(turn: Turn, element: str | None) -> list[dict[str, str]]:
    """Buttons under an answer: the candidates of a clarifying question, or the checklist offer."""
    if turn.choices:
        return [
            {"title": name, "payload": "/ask_element" + json.dumps({"item_id": entry_id}, ensure_ascii=False)}
            for entry_id, name in turn.choices
        ]
    if turn.offer_checklist:
        return [{"title": "生成材料清单", "payload": "/ask_checklist"}, {"title": "不用了", "payload": "/deny"}]
    return []


def say_turn(dispatcher: CollectingDispatcher, turn: Turn, *, offer: bool = True) -> None:
    """Say an answer; ``offer=False`` inside a checklist, where offering another one would only confuse."""
    if not offer:
        text = turn.answer.answer.removesuffix(CHECKLIST_OFFER).rstrip()
        buttons = turn_buttons(replace(turn, offer_checklist=False), turn.answer.element)
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return
    buttons = turn_buttons(turn, turn.answer.element)
    if turn.offer_checklist:
        # the answer text ends with the offer for text-only channels; here the offer comes with its buttons
        text = turn.answer.answer.removesuffix(CHECKLIST_OFFER).rstrip()
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=CHECKLIST_OFFER, buttons=buttons)
    else:
        dispatcher.utter_message(text=turn.answer.answer, buttons=buttons or None)


class ActionAnswer(Action):
    """Answers from the guide: the item and element asked about, in the conversation's context."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return answer(self.services, dispatcher, tracker)


def answer(services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """Answer the latest message from the guide and return the context events (item, element, offer)."""
    knowledge = services.knowledge()
    chosen = latest_entity(tracker, "item_id")
    if chosen and knowledge.catalogue.get(chosen) is not None:
        turn = answer_about(knowledge, chosen, tracker.get_slot("element"))
    else:
        turn = answer_turn(knowledge, latest_text(tracker), tracker.get_slot("item_id"))
    say_turn(dispatcher, turn)
    events = [SlotSet("offer", "checklist" if turn.offer_checklist else None)]
    if turn.entry_id:
        events.append(SlotSet("item_id", turn.entry_id))
    if turn.answer.kind != "out_of_scope":
        events.append(SlotSet("element", turn.answer.element))
    return events


class ActionHandoff(Action):
    """Names the human channel (and the item's own consultation line when one is being discussed)."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = "好的，为您转人工服务。" + HUMAN_CHANNEL
        item_id = tracker.get_slot("checklist_item") or tracker.get_slot("item_id")
        entry = self.services.knowledge().catalogue.get(item_id) if item_id else None
        if entry is not None:
            text += f"\n“{entry.name}”的咨询电话：{contact_line(entry.consult)}"
        if tracker.active_loop.get("name"):
            text += "\n如果您想继续办理材料清单，直接回答上面的问题即可。"
        dispatcher.utter_message(text=text)
        return []
