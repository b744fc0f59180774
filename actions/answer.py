"""Answering a question from the guide, and handing over to a human.

The answer's data becomes Rasa messages here: its choices become buttons that choose an entry, its offer of a
checklist a message with two buttons; every sentence is a reply of ``assistant/replies.yaml``.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, latest_entity, latest_text
from assistant.dialogue.conversation import Turn, answer_about, answer_turn
from assistant.qa import Choice
from assistant.replies import Replies
from knowledge.render import contact_line


def choice_buttons(choices: list[Choice], intent: str) -> list[dict[str, str]]:
    """A button per entry to choose from; its payload sends ``intent`` with the entry's id."""
    return [
        {"title": c.name, "payload": f"/{intent}" + json.dumps({"item_id": c.id}, ensure_ascii=False)} for c in choices
    ]


def offer_buttons(replies: Replies) -> list[dict[str, str]]:
    """The checklist offer's two options: accept (ask for the checklist) or decline."""
    return [
        {"title": replies("checklist_offer_accept"), "payload": "/ask_checklist"},
        {"title": replies("checklist_offer_decline"), "payload": "/deny"},
    ]


def say_turn(dispatcher: CollectingDispatcher, turn: Turn, replies: Replies, *, offer: bool = True) -> None:
    """Say an answer: its text, the choices of a clarifying question as buttons, then the checklist offer as a
    message of its own; ``offer=False`` inside a checklist, where offering another one would only confuse."""
    answer = turn.answer
    dispatcher.utter_message(text=answer.answer, buttons=choice_buttons(answer.choices, "ask_element") or None)
    if offer and answer.offer_checklist:
        dispatcher.utter_message(text=replies("checklist_offer"), buttons=offer_buttons(replies))


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
    say_turn(dispatcher, turn, knowledge.qa.replies)
    events = [SlotSet("offer", "checklist" if turn.answer.offer_checklist else None)]
    if turn.entry_id:
        events.append(SlotSet("item_id", turn.entry_id))
    if turn.answer.kind != "out_of_scope":
        events.append(SlotSet("element", turn.answer.element))
    # what the story told ("我已经退休了") fills the checklist in, if the person asks for it next
    story = {"entry": turn.entry_id, "answers": turn.answer.story} if turn.answer.story and turn.entry_id else None
    events.append(SlotSet("story", story))
    return events


class ActionHandoff(Action):
    """Names the human channel (and the item's own consultation line when one is being discussed)."""

    def __init__(self, services: Services):
        self.services = services

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        knowledge = self.services.knowledge()
        replies = knowledge.qa.replies
        lines = [replies("handoff", human_channel=replies("human_channel"))]
        item_id = tracker.get_slot("checklist_item") or tracker.get_slot("item_id")
        entry = knowledge.catalogue.get(item_id) if item_id else None
        if entry is not None:
            lines.append(replies("handoff_item_line", item=entry.name, phone=contact_line(entry.consult)))
        if tracker.active_loop.get("name"):
            lines.append(replies("handoff_in_checklist"))
        dispatcher.utter_message(text="\n".join(lines))
        return []
