"""Answering a question from the guide, and handing over to a human.

The answer's data becomes Rasa messages here: the first bubble is the answer's ``brief``; its choices become
buttons that choose an entry, its follow-ups buttons that ask for the whole element or another one (answered in
full), its offer of a checklist a message with two buttons, made once per entry in a conversation; every
sentence is a reply of ``assistant/replies.yaml``.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, latest_entity, latest_text
from assistant.dialogue.conversation import Turn, answer_about, answer_turn
from assistant.qa import Answer, Choice
from assistant.qa.compose import ELEMENT_NAMES, FollowUp
from assistant.replies import Replies
from assistant.serving.knowledge import Knowledge
from knowledge.render import contact_line


def choice_buttons(choices: list[Choice], intent: str) -> list[dict[str, str]]:
    """A button per entry to choose from; its payload sends ``intent`` with the entry's id."""
    return [
        {"title": c.name, "payload": f"/{intent}" + json.dumps({"item_id": c.id}, ensure_ascii=False)} for c in choices
    ]


def follow_up_buttons(entry_id: str, follow_ups: list[FollowUp]) -> list[dict[str, str]]:
    """A button per follow-up; its payload asks for that element of the entry, answered in full."""
    return [
        {
            "title": f.label,
            "payload": "/ask_element" + json.dumps({"item_id": entry_id, "element": f.element}, ensure_ascii=False),
        }
        for f in follow_ups
    ]


def offer_buttons(replies: Replies) -> list[dict[str, str]]:
    """The checklist offer's two options: accept (ask for the checklist) or decline."""
    return [
        {"title": replies("checklist_offer_accept"), "payload": "/ask_checklist"},
        {"title": replies("checklist_offer_decline"), "payload": "/deny"},
    ]


def meta_of(answer: Answer, entry_id: str | None) -> dict[str, Any]:
    """What an answer answered, for the message's record (ratings, the unanswered queue, analytics): sent as a
    ``custom`` message after it (:func:`api.dialogue.from_rasa` attaches it to the answer; no channel shows it)."""
    return {
        "outcome": answer.kind,
        "item_id": entry_id if answer.kind != "out_of_scope" else None,
        "element": answer.element,
        "confidence": round(float(answer.confidence), 4),
        "version": answer.version,
    }


def say_turn(dispatcher: CollectingDispatcher, turn: Turn, replies: Replies, *, offer: bool = True) -> None:
    """Say an answer: its first bubble with the choices of a clarifying question, or the follow-ups, as buttons,
    then the checklist offer as a message of its own; ``offer=False`` inside a checklist, where offering another
    one would only confuse, and where it was offered before."""
    answer = turn.answer
    buttons = choice_buttons(answer.choices, "ask_element")
    if not buttons and turn.entry_id and answer.kind == "answer":
        buttons = follow_up_buttons(turn.entry_id, answer.more)
    dispatcher.utter_message(text=answer.brief, buttons=buttons or None)
    dispatcher.utter_message(json_message={"meta": meta_of(answer, turn.entry_id)})
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


def reply_turn(knowledge: Knowledge, tracker: Tracker, context_item: str | None) -> Turn:
    """The turn for the latest message: a button's entry (a follow-up button's element in full), or the
    message read in the context of ``context_item``."""
    chosen = latest_entity(tracker, "item_id")
    if chosen and knowledge.catalogue.get(chosen) is not None:
        asked = latest_entity(tracker, "element")
        if asked in ELEMENT_NAMES:
            return answer_about(knowledge, chosen, asked, whole=True)
        return answer_about(knowledge, chosen, tracker.get_slot("element"))
    return answer_turn(knowledge, latest_text(tracker), context_item, tracker.get_slot("lacking"))


def answer(services: Services, dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """Answer the latest message from the guide and return the context events (item, element, offer)."""
    knowledge = services.knowledge()
    turn = reply_turn(knowledge, tracker, tracker.get_slot("item_id"))
    offered = list(tracker.get_slot("offered") or [])
    offer = turn.answer.offer_checklist and turn.entry_id not in offered  # once per entry in a conversation
    say_turn(dispatcher, turn, knowledge.qa.replies, offer=offer)
    events = [SlotSet("offer", "checklist" if offer else None)]
    if offer:
        events.append(SlotSet("offered", [*offered, turn.entry_id]))
    if turn.entry_id:
        events.append(SlotSet("item_id", turn.entry_id))
    elif turn.answer.lacking:
        # a service the catalogue lacks is a new subject: "要带什么材料" next is not about the item talked about before
        # but about that service, refused again by name (a question about nothing of ours, "今天天气怎么样", leaves
        # the conversation's subject as it was)
        events.append(SlotSet("item_id", None))
    if turn.answer.lacking or turn.answer.kind != "out_of_scope":
        events.append(SlotSet("lacking", turn.answer.lacking))
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
        # the channels open a handoff to staff on this (api.conversations)
        dispatcher.utter_message(json_message={"meta": {"outcome": "handoff", "item_id": entry.id if entry else None}})
        return []
