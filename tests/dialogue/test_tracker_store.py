"""The conversations' store in Rasa's own environment (``nlu.rasa_components``): a returning person's conversation
stays bounded, reads what Rasa's own query reads, and the replaced hot spots of Rasa behave as Rasa's own code.

Each test runs a script with ``.rasa-venv``'s Python over a real SQLite tracker store;
``tests/dialogue/test_long_conversation.py`` holds a 220-turn conversation through the whole stack.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import REPO

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (REPO / ".rasa-venv" / "bin" / "python").exists(), reason="no .rasa-venv (make setup)"),
]

SESSIONS = """
import asyncio, json, sys
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from nlu.rasa_components import CheckedSQLTrackerStore

domain = Domain.from_yaml('''
version: "3.1"
slots:
  item_id: {type: text, mappings: [{type: custom}]}
  offered: {type: list, mappings: [{type: custom}]}
  story: {type: text, mappings: [{type: custom}]}
''')
store = CheckedSQLTrackerStore(domain, dialect="sqlite", db=sys.argv[1], session_turns=3)
clock = [1_700_000_000.0]

def tick():
    clock[0] += 1
    return clock[0]

async def turn(said, *events):
    # as Rasa does a turn: load the current session, add the turn's events, save
    tracker = await store.retrieve("web-a") or DialogueStateTracker.from_events("web-a", [], domain.slots)
    tracker.update(UserUttered(said, timestamp=tick()), domain)
    for event in events:
        event.timestamp = tick()
        tracker.update(event, domain)
    tracker.update(BotUttered("好的", timestamp=tick()), domain)
    tracker.update(ActionExecuted("action_listen", timestamp=tick()), domain)
    await store.save(tracker)

def seen(tracker):
    return {"said": [e.text for e in tracker.events if isinstance(e, UserUttered)],
            "events": len(tracker.events),
            "item_id": tracker.get_slot("item_id"), "offered": tracker.get_slot("offered"),
            "loop": tracker.active_loop_name}

async def main():
    out = {}
    await turn("结婚登记要带什么", SlotSet("item_id", "old-item"), SlotSet("item_id", "marriage-registration"))
    await turn("要多少钱", SlotSet("offered", ["marriage-registration"]))
    out["before"] = seen(await store.retrieve("web-a"))
    await turn("在哪里办")  # the third message: the session is full
    out["after"] = seen(await store.retrieve("web-a"))
    await turn("帮我生成清单", ActiveLoop("checklist_form"))
    await turn("是的")
    await turn("不是")  # three messages, but a checklist is under way
    out["in_checklist"] = seen(await store.retrieve("web-a"))
    await turn("没有", ActiveLoop(None))
    out["after_checklist"] = seen(await store.retrieve("web-a"))
    out["full"] = len((await store.retrieve_full_tracker("web-a")).events)
    # a conversation that never started a session: all its events are its current session
    plain = DialogueStateTracker.from_events("web-b", [UserUttered("你好", timestamp=tick())], domain.slots)
    await store.save(plain)
    # the statements built once read what Rasa's own query reads
    out["same_as_rasa"] = {}
    with store.session_scope() as session:
        for sender in ("web-a", "web-b", "nobody"):
            for everything, ours in ((False, store._queries.session), (True, store._queries.everything)):
                theirs = [e.data for e in store._event_query(session, sender, fetch_events_from_all_sessions=everything)]
                mine = list(session.execute(ours, {"sender": sender}).scalars())
                out["same_as_rasa"][f"{sender} {everything}"] = mine == theirs and (bool(mine) or sender == "nobody")
            counted = session.execute(store._queries.count, {"sender": sender}).scalar_one()
            out["same_as_rasa"][f"{sender} count"] = counted == store._event_query(session, sender, False).count()
        # how SQLite reads a turn's session and count: each step of the plan, as EXPLAIN QUERY PLAN says it
        out["plans"] = {}
        for name in ("session", "count"):
            statement = getattr(store._queries, name).params(sender="web-a")
            compiled = statement.compile(store.engine, compile_kwargs={"literal_binds": True})
            plan = session.execute(sqlalchemy.text("EXPLAIN QUERY PLAN " + str(compiled)))
            out["plans"][name] = [row[-1] for row in plan]
    # a second store on the same database (another dialogue worker, a restart) finds the indexes there
    CheckedSQLTrackerStore(domain, dialect="sqlite", db=sys.argv[1])
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""

HOT_SPOTS = """
import json
import jsonschema
from jsonschema.exceptions import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

def original_resolve(name):
    for cls in all_subclasses(Event):
        if cls.type_name == name:
            return cls

import nlu.rasa_components as components
out = {"applied": components.speed_up_rasa()}
names = sorted({cls.type_name for cls in all_subclasses(Event)})
out["types"] = len(names)
out["same_classes"] = all(Event.resolve_by_type(name) is original_resolve(name) for name in names)
try:
    Event.resolve_by_type("no_such_event")
    out["unknown"] = "accepted"
except ValueError as exc:
    out["unknown"] = str(exc)
out["unknown_with_default"] = Event.resolve_by_type("no_such_event", Event).__name__
action = RemoteAction("action_answer", None)
good = {"events": [{"event": "slot", "name": "item_id", "value": "x"}], "responses": [{"text": "好的"}]}
out["good"] = action._validate_action_result(good)
for bad in ({"events": [{"event": "slot", "name": 3}]}, {"events": "none"}, {"responses": [1]}):
    try:
        action._validate_action_result(bad)
        out.setdefault("bad", []).append("accepted")
    except ValidationError as ours:
        try:
            jsonschema.validate(bad, RemoteAction.action_response_format_spec())
        except ValidationError as theirs:
            same = ours.message.startswith(theirs.message) and list(ours.path) == list(theirs.path)
            out.setdefault("bad", []).append("same error" if same else f"{ours.message} != {theirs.message}")
print(json.dumps(out, ensure_ascii=False))
"""


def run_in_rasa(script: str, *args: str) -> dict:
    done = subprocess.run(
        [str(REPO / ".rasa-venv" / "bin" / "python"), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_full_session_is_followed_by_a_new_one_holding_the_slots_values_never_inside_a_checklist(tmp_path):
    seen = run_in_rasa(SESSIONS, str(tmp_path / "tracker.db"))
    # the store's statements, built once, read and count what Rasa's own query does (current session and all)
    assert seen["same_as_rasa"] and all(seen["same_as_rasa"].values()), seen["same_as_rasa"]
    assert seen["before"]["said"] == ["结婚登记要带什么", "要多少钱"]
    # the next turn loads the new session only: no message of the old one, the slots' values (not their history)
    assert seen["after"] == {
        "said": [],
        "events": 4,  # session_started, item_id, offered, action_listen
        "item_id": "marriage-registration",
        "offered": ["marriage-registration"],
        "loop": None,
    }
    # a checklist is never cut: its answers stay in the session until it ends, then a new session starts
    assert seen["in_checklist"]["said"] == ["帮我生成清单", "是的", "不是"]
    assert seen["in_checklist"]["loop"] == "checklist_form"
    assert seen["after_checklist"]["said"] == [] and seen["after_checklist"]["item_id"] == "marriage-registration"
    assert seen["full"] > 30  # the old sessions stay stored, only no longer loaded


def test_a_turn_reads_its_session_through_an_index_not_the_whole_history(tmp_path):
    """A returning person's old sessions stay stored for months: reading the current one must not read them all
    (Rasa's own query did, twice a turn)."""
    plans = run_in_rasa(SESSIONS, str(tmp_path / "tracker.db"))["plans"]
    for name, steps in plans.items():
        assert not any(step.startswith("SCAN") for step in steps), (name, steps)
    # the session's rows by a range of (sender, timestamp); its start by (sender, type, timestamp) alone
    assert any("ix_events_sender_time (sender_id=? AND timestamp>?)" in step for step in plans["session"]), plans
    assert any("COVERING INDEX ix_events_sender_type_time" in step for step in plans["session"]), plans


def test_the_replaced_hot_spots_find_the_same_event_classes_and_reject_the_same_action_answers():
    seen = run_in_rasa(HOT_SPOTS)
    assert seen["applied"] is True
    assert seen["types"] > 20 and seen["same_classes"] is True
    assert seen["unknown"] == "Unknown event name 'no_such_event'."
    assert seen["unknown_with_default"] == "Event"
    assert seen["good"] is True
    assert seen["bad"] == ["same error"] * 3


DATABASE_AWAY = """
import asyncio, json, sys
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
import nlu.rasa_components as components
from nlu.rasa_components import CheckedSQLTrackerStore

components.RETRY_PAUSES_S = (0.01, 0.01)
domain = Domain.from_yaml('version: "3.1"')
store = CheckedSQLTrackerStore(domain, dialect="sqlite", db=sys.argv[1])
failures = {"left": int(sys.argv[2]), "where": sys.argv[3]}
real_scope = store.session_scope

class Away:
    # a session whose statements (or commit) fail as a restarting PostgreSQL's do, while failures are left
    def __init__(self, session):
        self.session = session
    def _fail(self):
        failures["left"] -= 1
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
    def execute(self, *args, **kwargs):
        if failures["left"] > 0 and failures["where"] == "statement":
            self._fail()
        return self.session.execute(*args, **kwargs)
    def commit(self):
        if failures["left"] > 0 and failures["where"] == "commit":
            self._fail()
        return self.session.commit()

import contextlib
@contextlib.contextmanager
def scope():
    with real_scope() as session:
        yield Away(session)
store.session_scope = scope

async def main():
    tracker = DialogueStateTracker.from_events("wx:a", [], domain.slots)
    for event in (UserUttered("是的", timestamp=1.0), BotUttered("好的", timestamp=2.0), ActionExecuted("action_listen", timestamp=3.0)):
        tracker.update(event, domain)
    out = {}
    try:
        await store.save(tracker)
        out["saved"] = True
    except sqlalchemy.exc.OperationalError:
        out["saved"] = False
    failures["left"] = 0
    stored = await store.retrieve("wx:a")
    out["said"] = [e.text for e in stored.events if isinstance(e, UserUttered)] if stored else []
    failures.update(left=2, where="statement")  # the next turn's reading meets the database away twice
    again = await store.retrieve("wx:a")
    out["read_while_away"] = [e.text for e in again.events if isinstance(e, UserUttered)] if again else []
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("failures", "where", "said"),
    [
        (1, "statement", ["是的"]),  # PostgreSQL back in time: the turn is stored, nothing lost
        (2, "statement", ["是的"]),
        (9, "statement", []),  # still away after the last pause: the error goes to Rasa
        (1, "commit", []),  # a failed commit may have stored the turn: never written twice
    ],
)
def test_a_turn_met_by_a_database_restart_is_read_and_written_once_the_database_is_back(
    tmp_path, failures, where, said
):
    seen = run_in_rasa(DATABASE_AWAY, str(tmp_path / "tracker.db"), str(failures), where)
    assert seen["said"] == said
    assert seen["saved"] is bool(said)
    # reading the conversation meanwhile waits for the database too, rather than going on from an empty one
    assert seen["read_while_away"] == said
