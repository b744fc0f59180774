"""The conversation store's cost per turn, in Rasa's own environment: prints figures, asserts nothing.

Usage::

    python -m assistant.bench.tracker_store [--turns 300]

Runs ``.rasa-venv``'s Python (``$ASSISTANT_RASA_VENV``) over SQLite files in a temporary directory, with turns
shaped like the assistant's (the person's message with its parse data, the slots an answer sets, the answer, the
action calls), and prints, per turn:

1. **Reading and writing the conversation**: one ``retrieve`` and one ``save``, as Rasa does each turn, with Rasa's
   own ``SQLTrackerStore`` and a new session every 12 turns started the way the application did before (through
   Rasa's HTTP API, whose state read loads the whole history), and with ``nlu.rasa_components.CheckedSQLTrackerStore``
   (events read as text, a turn's rows in one insert, the new session written with the turn), for sessions of 12
   and of 6 messages: the mean per turn, and over the last 60 turns (a cost that grows with the history shows).
2. **The two replaced hot spots** (``speed_up_rasa``): finding the event classes of one turn's events
   (``Event.resolve_by_type``) and validating one action answer (``RemoteAction._validate_action_result``), Rasa's
   code against the replacement.

The load test (``python -m assistant.loadtest``) gives what a whole turn costs; this isolates the store.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from assistant.dialogue.training import rasa_env, rasa_venv

SCRIPT = r"""
import asyncio, json, statistics, sys, tempfile, time
from pathlib import Path

from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

# Rasa's own code, kept before nlu.rasa_components replaces it on import
rasa_resolve = Event.resolve_by_type
rasa_validate = RemoteAction._validate_action_result

from nlu.rasa_components import CheckedSQLTrackerStore

TURNS = int(sys.argv[1])
domain = Domain.from_yaml('''
version: "3.1"
intents: [ask_question, affirm, deny, thank]
slots:
  item_id: {type: text, mappings: [{type: custom}]}
  offered: {type: list, mappings: [{type: custom}]}
  story: {type: text, mappings: [{type: custom}]}
''')
INTENTS = ["ask_question", "affirm", "deny", "thank", "greet", "goodbye", "go_back", "restart", "human", "choose_option"]
QUESTION = "您好，我是外省户籍，离异后带孩子在本市租房住，孩子明年上小学，想问一下入学需要准备哪些材料，在哪里办理？"
ANSWER = "【义务教育阶段入学】申请材料：" + "、".join(["居民户口簿", "居民身份证", "房屋租赁合同", "居住证", "出生医学证明"] * 6)


def turn_events(n, clock):
    parse = {"text": QUESTION, "intent": {"name": "ask_question", "confidence": 0.93},
             "intent_ranking": [{"name": i, "confidence": 0.01} for i in INTENTS], "entities": [],
             "as_written": QUESTION}
    t = clock + n * 10
    return [
        UserUttered(QUESTION, parse["intent"], [], parse, timestamp=t),
        ActionExecuted("action_answer", timestamp=t + 1),
        SlotSet("item_id", f"item-{n % 7}", timestamp=t + 1),
        SlotSet("offered", [f"item-{n % 7}"], timestamp=t + 1),
        BotUttered(ANSWER, {"buttons": [{"title": "申请材料", "payload": "/ask_element"}]}, timestamp=t + 1),
        BotUttered("", {"custom": {"meta": {"outcome": "answer", "item_id": f"item-{n % 7}"}}}, timestamp=t + 1),
        ActionExecuted("action_listen", timestamp=t + 2),
    ]


async def per_turn(store, turns, old_sessions=False):
    took = []
    for n in range(turns):
        started = time.perf_counter()
        tracker = await store.retrieve("web-bench") or DialogueStateTracker.from_events("web-bench", [], domain.slots)
        for event in turn_events(n, 1_700_000_000.0):
            tracker.update(event, domain)
        await store.save(tracker)
        if old_sessions and (n + 1) % 12 == 0:
            # what the application did before, every 12 turns, through Rasa's HTTP API: read the state (Rasa's
            # GET .../tracker loads the whole history), then append session_started, the slots, action_listen
            await store.retrieve_full_tracker("web-bench")
            current = await store.retrieve("web-bench")
            start = current.events[-1].timestamp + 0.001
            for event in [SessionStarted(timestamp=start), *[SlotSet(k, v.value, timestamp=start) for k, v in current.slots.items() if v.value is not None], ActionExecuted("action_listen", timestamp=start)]:
                current.update(event, domain)
            await store.save(current)
        took.append(time.perf_counter() - started)
    last = took[-60:]
    return 1000 * sum(took) / len(took), 1000 * sum(last) / len(last)


results = {}
with tempfile.TemporaryDirectory() as scratch:
    for number, (label, make, old) in enumerate([
        ("before: Rasa's SQLTrackerStore, sessions of 12 started over the HTTP API", lambda db: SQLTrackerStore(domain, dialect="sqlite", db=db), True),
        ("CheckedSQLTrackerStore, sessions of 12", lambda db: CheckedSQLTrackerStore(domain, dialect="sqlite", db=db, session_turns=12), False),
        ("CheckedSQLTrackerStore, sessions of 6", lambda db: CheckedSQLTrackerStore(domain, dialect="sqlite", db=db, session_turns=6), False),
    ]):
        mean, last = asyncio.run(per_turn(make(str(Path(scratch) / f"tracker-{number}.db")), TURNS, old))
        results[label] = f"{mean:.2f} ms per turn (retrieve + save, mean of {TURNS}); {last:.2f} ms over the last 60"

names = [e.type_name for e in turn_events(0, 0.0)] * 12  # a 12-message session's events, read each turn


def timed(function, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat * 1000


results["event classes of a 12-message session, Rasa's resolve_by_type"] = f"{timed(lambda: [rasa_resolve(n) for n in names], 50):.3f} ms"
results["event classes of a 12-message session, the table"] = f"{timed(lambda: [Event.resolve_by_type(n) for n in names], 50):.3f} ms"
action = RemoteAction("action_answer", None)
answer = {"events": [{"event": "slot", "name": "item_id", "value": "item-1"}, {"event": "slot", "name": "offered", "value": ["item-1"]}],
          "responses": [{"text": ANSWER, "buttons": [{"title": "申请材料", "payload": "/ask_element"}]}, {"custom": {"meta": {"outcome": "answer"}}}]}
results["validating one action answer, Rasa's jsonschema.validate"] = f"{timed(lambda: rasa_validate(action, answer), 200):.3f} ms"
results["validating one action answer, the compiled validator"] = f"{timed(lambda: action._validate_action_result(answer), 200):.3f} ms"
print(json.dumps(results, ensure_ascii=False))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assistant.bench.tracker_store", description=__doc__)
    parser.add_argument("--turns", type=int, default=300, help="turns of one returning sender (default 300)")
    args = parser.parse_args(argv)
    python = rasa_venv() / "bin" / "python"
    if not python.exists():
        sys.exit(f"no Rasa environment at {python.parent.parent}: run `make setup` first")
    print(f"the conversation store, {args.turns} turns of one sender, in {python.parent.parent} …", flush=True)
    done = subprocess.run(
        [str(python), "-c", SCRIPT, str(args.turns)], capture_output=True, text=True, env=rasa_env(), timeout=1800
    )
    if done.returncode != 0:
        sys.exit(f"the benchmark failed in Rasa's environment:\n{done.stderr[-3000:]}")
    for label, figure in json.loads(done.stdout.strip().splitlines()[-1]).items():
        print(f"  {label}: {figure}")


if __name__ == "__main__":
    main()
