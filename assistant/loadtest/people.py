"""Simulated people on one event loop: web chat users (``POST /api/v1/chat``) and WeChat followers (signed XML on
``/wechat``), each recording its turns in a shared :class:`~assistant.loadtest.figures.Record`.

A web user keeps one sender id for the whole run (the server's, once it issued one) and, until the run stops,
sends a few real messages, then a scripted conversation of the dialogue benchmark (checklists answered by number,
by text or by button, its options chosen at random), then more real messages, then another script. Each notice a
checklist ends with is fetched and checked against that user's own answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.bench.dialogue import CLICK_FIRST, CONVERSATIONS, conversation_steps
from assistant.loadtest.figures import DEGRADED, OK, NoticeCheck, Record, Turn
from assistant.loadtest.messages import RealMessages
from assistant.loadtest.notices import QUESTION, Checklist, check_notice, notice_link
from assistant.replies import Replies

_TEXTS = Replies.load().texts
NO_ANSWER = _TEXTS["chat_no_answer"].split("{")[0]
WECHAT_NO_ANSWER = _TEXTS["wechat_no_answer"].split("{")[0]
WECHAT_BUSY = _TEXTS["wechat_busy"].split("{")[0]
DOWN = (_TEXTS.get("dialogue_down", "对话服务正在恢复"), _TEXTS.get("dialogue_down_button", "对话服务正在恢复"))
WECHAT_OPTIONS = _TEXTS["wechat_options"]
TURN_TIMEOUT_S = 30.0
PAUSE_AFTER_FAILURE_S = 0.5  # a refused connection returns at once: do not spin while the server is down
REAL_PER_BLOCK = (2, 4)  # real messages between two scripted conversations
KEEP_ALIVE_S = 4.0  # below uvicorn's 5 s: the client drops an idle connection before the server may close it
_msg_ids = itertools.count(int(time.time() * 1000))


def outcome_of(status: int, texts: list[str], no_answer: tuple[str, ...] = (NO_ANSWER,)) -> str:
    """How a turn went: ``ok``, ``degraded`` (answered from the guides, the dialogue engine down), or the error's
    kind (``http_<status>``, ``no_answer`` for the apology given when the dialogue gave nothing, ``busy``)."""
    if status != 200:
        return f"http_{status}"
    if not texts or any(t.startswith(no_answer) for t in texts):
        return "no_answer"
    if any(t.startswith(WECHAT_BUSY) for t in texts):
        return "busy"
    if any(marker in t for t in texts for marker in DOWN):
        return DEGRADED
    return OK


def client_for(connections: int) -> httpx.AsyncClient:
    """A client of up to ``connections`` connections. An idle connection is dropped after KEEP_ALIVE_S, before serve
    closes it (uvicorn: 5 s): at the same keep-alive time as the server's (httpx's default), a request sent on a
    connection the server closed at that moment failed with a ReadError."""
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=KEEP_ALIVE_S
    )
    return httpx.AsyncClient(timeout=TURN_TIMEOUT_S, limits=limits)


@dataclass
class Load:
    """The run the people belong to: where to send, what to replay, where to record, when to stop.

    ``client`` is the run's own (probes); each person sends through a client of its own (:meth:`connect`), as
    separate people do: one client shared by a hundred people spent more of the load generator's CPU in httpcore's
    connection pool, whose every request and response scans every connection and queued request, than in the
    people themselves, and that on the cores the server is measured on.
    """

    url: str
    client: httpx.AsyncClient
    messages: RealMessages
    record: Record = field(default_factory=Record)
    wechat_token: str = "dev-wechat-token"
    seed: int = 1
    started: float = field(default_factory=time.monotonic)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task] = field(default_factory=list)
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def connect(self) -> httpx.AsyncClient:
        """A person's own client (one connection: a person waits for each answer), closed by :meth:`stop`."""
        client = client_for(1)
        self.clients.append(client)
        return client

    def now(self) -> float:
        return time.monotonic() - self.started

    def start(self, users: int, wechat_users: int = 0, ramp: float = 0.0) -> None:
        """Start the people, spread over ``ramp`` seconds."""
        people: list[Callable[[], object]] = [WebUser(self, n).live for n in range(users)]
        people += [WeChatFollower(self, users + n).live for n in range(wechat_users)]
        for n, live in enumerate(people):
            delay = ramp * n / max(1, len(people))
            self.tasks.append(asyncio.create_task(self._later(delay, live)))

    async def _later(self, delay: float, live: Callable) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), delay)
            return  # stopped during the ramp
        except TimeoutError:
            pass
        await live()

    async def stop(self, grace: float = TURN_TIMEOUT_S + 5) -> None:
        """Let each person finish its turn in flight, then end."""
        self.stopping.set()
        if self.tasks:
            done, pending = await asyncio.wait(self.tasks, timeout=grace)
            for task in pending:
                task.cancel()
            for task in done:
                if task.exception() is not None:
                    self.record.note(f"a simulated person failed: {task.exception()!r}")
        await asyncio.gather(*(client.aclose() for client in self.clients))


class WebUser:
    """One person of the web chat, keeping one sender id across several checklists."""

    def __init__(self, load: Load, number: int):
        self.load = load
        self.number = number
        self.rng = random.Random(f"{load.seed}:{number}")
        self.sender_id = f"load-{number}-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]}"  # until one is issued
        self.client = load.connect()
        self.last: list[dict] = []
        self.checklist: Checklist | None = None
        self.checked: list[NoticeCheck] = []

    async def say(self, message: str) -> list[dict]:
        """Send one message, record the turn; the reply's messages (empty on an error)."""
        load = self.load
        at, start = load.now(), time.perf_counter()
        if self.checklist is not None:
            self.checklist.sent(message)
        try:
            response = await self.client.post(
                f"{load.url}/api/v1/chat", json={"sender_id": self.sender_id, "message": message}
            )
            status = response.status_code
            body = response.json() if status == 200 else {}
        except (httpx.HTTPError, ValueError) as exc:
            load.record.turns.append(Turn("web", self.number, at, time.perf_counter() - start, type(exc).__name__))
            load.record.note(f"web user {self.number}: {message[:30]!r}: {type(exc).__name__}: {exc}")
            self.last = []
            await asyncio.sleep(PAUSE_AFTER_FAILURE_S)
            return []
        seconds = time.perf_counter() - start
        self.sender_id = body.get("sender_id") or self.sender_id
        messages = body.get("messages") or []
        outcome = outcome_of(status, [m.get("text", "") for m in messages])
        load.record.turns.append(Turn("web", self.number, at, seconds, outcome))
        if outcome not in (OK, DEGRADED):
            load.record.note(f"web user {self.number}: {message[:30]!r}: {outcome}: {response.text[:200]}")
        self.last = messages
        started = Checklist.started_by(messages)
        if started is not None:
            self.checklist = started
        if self.checklist is not None:
            self.checklist.replied(messages)
        link = notice_link(messages)
        if link is not None:
            await self.check(link)
            self.checklist = None
        return messages

    async def check(self, link: str) -> None:
        load = self.load
        check = NoticeCheck(self.number, load.now(), link)
        try:
            page = await self.client.get(f"{load.url}{link}")
            check.problems = check_notice(self.checklist, link, page.status_code, page.text)
        except httpx.HTTPError as exc:
            check.problems = [f"the notice page could not be fetched: {type(exc).__name__}"]
            check.unfetched = True
        if check.problems:
            load.record.note(f"web user {self.number}: notice {link}: {'; '.join(check.problems)}")
        load.record.notices.append(check)
        self.checked.append(check)

    async def live(self) -> None:
        await live(self)

    def asked(self) -> str | None:
        """The checklist question the last reply asks, if any."""
        for message in self.last:
            if match := QUESTION.search(message.get("text", "")):
                return match.group("question")
        return None


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def wechat_xml(account: str, openid: str, content: str, msg_id: int, stamp: str) -> str:
    """A plaintext text-message callback, as WeChat posts it."""
    content = content.replace("]]>", "]] >")
    return (
        f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def wechat_messages(content: str) -> list[dict]:
    """A WeChat reply as the chat's messages, so the benchmark's scripts can read it: a checklist question's
    numbered options become option buttons (titled by their labels)."""
    buttons = []
    if WECHAT_OPTIONS in content and QUESTION.search(content):
        listed = content[content.rindex(WECHAT_OPTIONS) + len(WECHAT_OPTIONS) :].strip().splitlines()
        for line in listed:
            number, _, label = line.partition(". ")
            if number.strip().isdigit() and label:
                buttons.append({"title": label.strip(), "payload": '/choose_option{"option": ""}'})
    return [{"text": content, "buttons": buttons}]


class WeChatFollower:
    """One follower of the official account posting signed XML to ``/wechat``, timed against WeChat's deadline."""

    ACCOUNT = "gh_load0123456"

    def __init__(self, load: Load, number: int):
        self.load = load
        self.number = number
        self.rng = random.Random(f"{load.seed}:wx:{number}")
        self.openid = f"oLoad_{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}"
        self.client = load.connect()
        self.last: list[dict] = []

    async def say(self, content: str) -> None:
        load = self.load
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        body = wechat_xml(self.ACCOUNT, self.openid, content, next(_msg_ids), stamp)
        query = {"signature": sign(load.wechat_token, stamp, nonce), "timestamp": stamp, "nonce": nonce}
        query["openid"] = self.openid
        at, start = load.now(), time.perf_counter()
        try:
            response = await self.client.post(f"{load.url}/wechat", params=query, content=body.encode("utf-8"))
        except httpx.HTTPError as exc:
            load.record.turns.append(Turn("wechat", self.number, at, time.perf_counter() - start, type(exc).__name__))
            load.record.note(f"WeChat follower {self.number}: {content[:30]!r}: {type(exc).__name__}: {exc}")
            self.last = []
            await asyncio.sleep(PAUSE_AFTER_FAILURE_S)
            return
        seconds = time.perf_counter() - start
        late = response.status_code == 200 and response.text.strip() == "success"  # answered later, not in time
        text = ""
        if response.status_code == 200 and not late:
            try:
                text = {child.tag: child.text or "" for child in ET.fromstring(response.text)}.get("Content", "")
            except ET.ParseError:
                text = ""
        outcome = OK if late else outcome_of(response.status_code, [text], (WECHAT_NO_ANSWER,))
        load.record.turns.append(Turn("wechat", self.number, at, seconds, outcome, late))
        if outcome not in (OK, DEGRADED):
            load.record.note(f"WeChat follower {self.number}: {content[:30]!r}: {outcome}: {response.text[:200]}")
        self.last = wechat_messages(text) if text else []

    async def live(self) -> None:
        await live(self, lambda steps: ["1" if step == CLICK_FIRST else step for step in steps])  # no buttons here


async def live(person: Any, adapt: Callable[[list[str]], list[str]] = lambda steps: steps) -> None:
    """A person's loop until the load stops: a few real messages, then a scripted conversation of the dialogue
    benchmark (``adapt``-ed to the channel, its options chosen at random), and again."""
    load, rng = person.load, person.rng
    scripts = itertools.islice(itertools.cycle(CONVERSATIONS), person.number, None)
    while not load.stopping.is_set():
        for _ in range(rng.randint(*REAL_PER_BLOCK)):
            if load.stopping.is_set():
                return
            await person.say(load.messages.pick(rng))
        for message in conversation_steps(adapt(next(scripts)), lambda: person.last, lambda _, n: rng.randrange(n)):
            if load.stopping.is_set():
                return
            await person.say(message)
