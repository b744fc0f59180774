"""A checklist conversation survives a restart of `assistant serve`: Rasa keeps conversations in the SQLite
tracker store under var/rasa, so after SIGTERM (which must stop the application and the Rasa child, freeing both
ports) and a fresh start, the next answer of the same sender continues where the conversation stopped.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import free_port, start_serve

from assistant.dialogue.conversation import next_step, notice_in_chat
from knowledge.checklist import build_notice

pytestmark = pytest.mark.slow

ENTRY = "marriage-registration"
LOG = "serve-restart-test.log"


def new_sender(base: str) -> str:
    """A sender id the server issued (as the widget gets its first): the answer to an empty message carries one."""
    response = httpx.post(f"{base}/api/v1/chat", json={"message": ""}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["sender_id"]


def say(base: str, sender: str, message: str) -> str:
    response = httpx.post(f"{base}/api/v1/chat", json={"sender_id": sender, "message": message}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["sender_id"] == sender  # the same conversation, not a new one
    return "\n".join(m["text"] for m in response.json()["messages"])


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, their children …), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def listening(port: int) -> bool:
    """True when some socket listens on ``port`` (IPv4 or IPv6), from /proc/net."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("`assistant serve` did not stop within 60 s of SIGTERM")


def test_a_checklist_conversation_continues_after_a_restart(holder):
    knowledge = holder.current
    port, rasa_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_serve(port, rasa_port, LOG)
    try:
        sender = new_sender(base)  # signed with CHAT_SECRET, which the next start shares
        first = next_step(knowledge, ENTRY, {}).question
        assert first.text in say(base, sender, "帮我生成结婚登记的材料清单")
        answers = {first.id: "yes"}
        number = [option.id for option in first.options].index("yes") + 1
        second = next_step(knowledge, ENTRY, answers).question
        reply = say(base, sender, str(number))  # a number answers only inside the checklist
        assert second.text in reply and "（第2题/共3题）" in reply

        children = descendants(process.pid)
        rasa = [pid for pid in children if "rasa" in command_line(pid) and " run " in command_line(pid)]
        assert len(rasa) == 1, {pid: command_line(pid) for pid in children}
        assert listening(port) and listening(rasa_port)
        assert stop(process) == 0, f"`assistant serve` exited with {process.returncode}; see var/{LOG}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not running(rasa[0]), "the Rasa server outlived `assistant serve`"
    assert not [pid for pid in children if running(pid)], "a child of `assistant serve` is still running"
    assert not listening(port), f"something still listens on the application's port {port}"
    assert not listening(rasa_port), f"something still listens on the Rasa port {rasa_port}"

    process = start_serve(port, rasa_port, LOG)
    try:
        court = second.options[[option.id for option in second.options].index("court_divorce")]
        answers = {**answers, second.id: "court_divorce"}
        third = next_step(knowledge, ENTRY, answers).question
        reply = say(base, sender, court.label)
        assert third.text in reply and "（第3题/共3题）" in reply  # the tracker kept the form and its answers

        unchanged = next(option for option in third.options if option.id == "no")
        answers = {**answers, third.id: "no"}
        reply = say(base, sender, unchanged.label)
        assert next_step(knowledge, ENTRY, answers).done
        notice = build_notice(knowledge.catalogue, ENTRY, answers)
        assert notice_in_chat(knowledge, notice) in reply  # all three answers kept: the engine's materials
    finally:
        stop(process)
