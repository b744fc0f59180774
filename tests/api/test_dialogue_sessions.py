"""RasaDialogue keeps a returning person's conversation bounded: a new session (the slots' current values carried
over) every few turns, never in the middle of a checklist. Rasa is replaced by httpx's MockTransport here;
tests/dialogue/test_long_conversation.py runs the real one for 220 turns."""

from __future__ import annotations

import asyncio
import json

import httpx

from api.dialogue import RasaDialogue


class FakeRasa:
    """Answers the REST channel, the tracker and execute calls of Rasa's HTTP API, recording what is asked."""

    def __init__(self) -> None:
        self.form: str | None = None
        self.executed: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=[{"recipient_id": "x", "text": "好的"}])
        if path.endswith("/tracker"):
            assert request.url.params["include_events"] == "NONE" and request.url.params["token"] == "secret"
            slots = {"item_id": "marriage-registration", "offered": ["marriage-registration"], "story": None}
            return httpx.Response(200, json={"active_loop": {"name": self.form} if self.form else {}, "slots": slots})
        if path.endswith("/tracker/events"):
            events = json.loads(request.content)
            assert events == [
                {"event": "session_started"},
                {"event": "slot", "name": "item_id", "value": "marriage-registration"},  # the values, not the history
                {"event": "slot", "name": "offered", "value": ["marriage-registration"]},
                {"event": "action", "name": "action_listen"},
            ]
            self.executed.append((request.url.raw_path.decode().split("/")[2], "session_started"))
            return httpx.Response(200, json={})
        return httpx.Response(404)


def dialogue(rasa: FakeRasa, turns: int = 3) -> RasaDialogue:
    engine = RasaDialogue("http://rasa.test", token="secret", session_turns=turns)
    engine._client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    return engine


def test_a_new_session_starts_every_few_turns_of_one_sender() -> None:
    rasa = FakeRasa()
    engine = dialogue(rasa)

    async def talk() -> None:
        for _ in range(7):
            assert [m.text for m in await engine.send("web/a b", "你好")] == ["好的"]
        await engine.send("other", "你好")

    asyncio.run(talk())
    assert rasa.executed == [("web%2Fa%20b", "session_started")] * 2  # after turns 3 and 6 of that sender


def test_no_new_session_in_the_middle_of_a_checklist_but_right_after_it() -> None:
    rasa = FakeRasa()
    engine = dialogue(rasa)

    async def talk() -> None:
        rasa.form = "checklist_form"
        for _ in range(4):
            await engine.send("web-a", "1")
        assert rasa.executed == []  # the form's state would be lost
        rasa.form = None
        await engine.send("web-a", "谢谢")

    asyncio.run(talk())
    assert rasa.executed == [("web-a", "session_started")]


def test_a_failed_session_start_never_fails_the_turn() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=[{"text": "好的"}])
        return httpx.Response(500)

    engine = RasaDialogue("http://rasa.test", session_turns=1)
    engine._client = httpx.AsyncClient(transport=httpx.MockTransport(broken))
    assert [m.text for m in asyncio.run(engine.send("web-a", "你好"))] == ["好的"]
