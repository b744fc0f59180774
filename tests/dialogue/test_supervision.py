"""`assistant serve` supervises its dialogue engine, on the real stack.

Killed (SIGKILL) in the middle of a checklist, the Rasa server is started again by the supervisor; meanwhile a
question is answered from the guides with a note, never refused; once the engine is back the checklist goes on
where the tracker store left it. And when `serve` itself is killed with SIGKILL, its engine does not outlive it
(death signal): the ports are free for the next start.
"""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from conftest import REPO, free_port, start_serve
from test_restart import command_line, descendants, listening, new_sender, running, say, stop

from assistant.dialogue.conversation import next_step

pytestmark = pytest.mark.slow

ENTRY = "marriage-registration"
LOG = "serve-supervision-test.log"
RASA_DIR = REPO / "var" / "rasa"  # the engine's files, under the default data directory start_serve uses
BACK_WITHIN_S = 240  # the supervisor's back-off is seconds; loading the model on two busy cores takes most of it


def rasa_child(serve_pid: int) -> int:
    found = [pid for pid in descendants(serve_pid) if "rasa" in command_line(pid) and " run " in command_line(pid)]
    assert len(found) == 1, found
    return found[0]


def dialogue_ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).json()["parts"]["dialogue"] == "ready"
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def test_a_killed_engine_is_restarted_and_questions_are_answered_meanwhile(holder):
    knowledge = holder.current
    port, rasa_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_serve(port, rasa_port, LOG)
    try:
        sender = new_sender(base)
        first = next_step(knowledge, ENTRY, {}).question
        assert first.text in say(base, sender, "帮我生成结婚登记的材料清单")

        engine = rasa_child(process.pid)
        os.kill(engine, signal.SIGKILL)
        while running(engine):
            time.sleep(0.1)
        meanwhile = say(base, sender, "身份证丢了怎么办")  # 200, from the guides
        assert "【居民身份证补领】" in meanwhile and "对话服务正在恢复" in meanwhile
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200  # still ready to answer

        deadline = time.monotonic() + BACK_WITHIN_S
        while not dialogue_ready(base):
            assert time.monotonic() < deadline, f"the dialogue engine was not back within {BACK_WITHIN_S} s"
            time.sleep(1)
        assert rasa_child(process.pid) != engine  # a new engine
        reply = say(base, sender, "不是")  # the checklist goes on: its first question answered
        assert next_step(knowledge, ENTRY, {first.id: "no"}).question.text in reply
        assert (RASA_DIR / f"endpoints-{rasa_port}.yml").exists()  # written again by the restart
    finally:
        stop(process)
    # what the engine was started with (the database password, when there is one) is not left behind
    assert not (RASA_DIR / f"endpoints-{rasa_port}.yml").exists()
    assert not (RASA_DIR / f"credentials-{rasa_port}.yml").exists()


def test_a_killed_serve_leaves_no_engine_behind(holder):
    port, rasa_port = free_port(), free_port()
    process = start_serve(port, rasa_port, LOG)
    engine = rasa_child(process.pid)
    process.kill()  # SIGKILL: no handler of serve runs
    process.wait()
    deadline = time.monotonic() + 30
    while running(engine) or listening(rasa_port):
        assert time.monotonic() < deadline, "the Rasa server outlived a killed `assistant serve`"
        time.sleep(0.2)
    restarted = start_serve(port, rasa_port, LOG)  # the same ports: nothing holds them
    stop(restarted)
