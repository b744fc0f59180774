"""The WeChat official account channel, driven like WeChat drives it: real signed (and encrypted) XML callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import xmltodict
from app_doubles import CatalogueHolder, serving
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from wechatpy.crypto import WeChatCrypto

from api.app import create_app
from api.dialogue import BotMessage, Button, DialogueUnavailable
from api.routes.wechat import router
from api.settings import Settings, WeChatSettings
from api.shared import open_store
from api.wechat import (
    BoundedTTLCache,
    ConversationMemory,
    CustomerServiceSender,
    FormattedReply,
    WeChatChannel,
    format_messages,
    paginate,
    parse_choice,
    utf8_len,
)
from assistant.replies import Replies

TOKEN = "zwzs-test-token"
APPID = "wx0123456789abcdef"
SECRET = "test-app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, like the console's EncodingAESKey
ACCOUNT = "gh_0123456789ab"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PUBLIC_URL = "https://zwzs.example.gov.cn"
REPLIES = Replies.load()

ID_CARD_OPTIONS = [
    BotMessage(
        text="请问您要办理哪种身份证业务？",
        buttons=[
            Button(title="首次申领", payload='/choose{"case":"first"}'),
            Button(title="补领", payload='/choose{"case":"lost"}'),
        ],
    )
]


# ---------------------------------------------------------------------------------------------------------------
# Test doubles and helpers


@dataclass
class ScriptedDialogue:
    """Answers from a script (message -> replies), recording every call; optionally slow or failing."""

    script: dict[str, list[BotMessage]] = field(default_factory=dict)
    delay: float = 0.0
    fail: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise DialogueUnavailable("the dialogue engine at http://127.0.0.1:5005 did not answer")
        return self.script.get(message, [BotMessage(text=f"您说的是：{message}")])

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.calls]


def make_app(
    dialogue: ScriptedDialogue, replies: Replies = REPLIES, redis_url: str | None = None, **overrides
) -> FastAPI:
    """The WeChat route alone, over a channel built from ``WeChatSettings`` (``overrides`` are its fields), with
    the state the application's lifespan would hold; its lifespan starts and closes the channel like the
    application's. Two applications given one ``redis_url`` are two processes serving one account."""
    fields = {
        "token": TOKEN,
        "appid": APPID,
        "secret": SECRET,
        "aes_key": None,
        "api_url": "http://127.0.0.1:9/",  # nothing listens: a late answer here would fail loudly
        "reply_deadline": 2.0,
    }
    fields.update(overrides)
    store = open_store(redis_url)
    channel = WeChatChannel.from_settings(WeChatSettings(**fields), PUBLIC_URL, replies=lambda: replies, store=store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        channel.start()
        yield
        await channel.aclose()
        await store.aclose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    app.state.assistant = SimpleNamespace(wechat=channel, dialogue=dialogue)
    return app


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(token: str = TOKEN, timestamp: int | None = None, nonce: str = "1357924680") -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": sign(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": OPENID}


def text_xml(content: str, msg_id: int = 23_456_789_012_345_678, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def voice_xml(recognition: str | None, msg_id: int = 34_567_890_123_456_789) -> str:
    recognised = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[media_id_1]]></MediaId><Format><![CDATA[amr]]></Format>{recognised}"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str | None = None, create_time: int | None = None) -> str:
    event_key = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{event_key}</xml>"
    )


def image_xml() -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        "<PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        "<MsgId>45678901234567890</MsgId></xml>"
    )


def post(client: TestClient, xml: str, query: dict[str, str] | None = None):
    return client.post("/wechat", params=query or signed_query(), content=xml.encode("utf-8"))


def reply_of(response) -> dict:
    """The passive reply's fields (plaintext mode)."""
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.text)["xml"]


@pytest.fixture
def dialogue() -> ScriptedDialogue:
    return ScriptedDialogue(script={"身份证": ID_CARD_OPTIONS})


@pytest.fixture
def client(dialogue: ScriptedDialogue) -> Iterator[TestClient]:
    with TestClient(make_app(dialogue)) as test_client:
        yield test_client


# ---------------------------------------------------------------------------------------------------------------
# A local fake of the WeChat API (access token + customer-service messages), served by uvicorn in a thread


class FakeWeChatApi:
    """Records token fetches and customer-service messages; ``failures`` makes the next sends answer -1 (busy)."""

    def __init__(self) -> None:
        self.token_requests: list[dict] = []
        self.sent: list[dict] = []
        self.send_attempts = 0
        self.failures = 0
        self.app = FastAPI()

        @self.app.get("/cgi-bin/token")
        async def token(request: Request) -> dict:
            self.token_requests.append(dict(request.query_params))
            if request.query_params.get("secret") != SECRET:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            return {"access_token": f"ACCESS_TOKEN_{len(self.token_requests)}", "expires_in": 7200}

        @self.app.post("/cgi-bin/message/custom/send")
        async def send(request: Request) -> dict:
            self.send_attempts += 1
            if self.failures:
                self.failures -= 1
                return {"errcode": -1, "errmsg": "system error"}
            payload = await request.json()
            payload["access_token"] = request.query_params.get("access_token")
            self.sent.append(payload)
            return {"errcode": 0, "errmsg": "ok"}

    def reset(self) -> None:
        self.token_requests.clear()
        self.sent.clear()
        self.send_attempts = 0
        self.failures = 0

    def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.sent


@pytest.fixture(scope="module")
def fake_api_server() -> Iterator[tuple[FakeWeChatApi, str]]:
    fake = FakeWeChatApi()
    with serving(lambda port: fake.app) as url:
        yield fake, url + "/"


@pytest.fixture
def fake_api(fake_api_server: tuple[FakeWeChatApi, str]) -> tuple[FakeWeChatApi, str]:
    fake_api_server[0].reset()
    return fake_api_server


# ---------------------------------------------------------------------------------------------------------------
# URL verification and signatures


def test_url_verification_echoes_echostr_on_a_good_signature(client: TestClient):
    response = client.get("/wechat", params={**signed_query(), "echostr": "5837397520001234567"})
    assert response.status_code == 200
    assert response.text == "5837397520001234567"


def test_url_verification_with_a_bad_signature_is_forbidden(client: TestClient):
    query = {**signed_query(token="someone-elses-token"), "echostr": "5837397520001234567"}
    response = client.get("/wechat", params=query)
    assert response.status_code == 403
    assert "5837397520001234567" not in response.text


def test_a_message_with_a_bad_signature_is_refused_and_never_processed(client: TestClient, dialogue):
    response = post(client, text_xml("身份证"), signed_query(token="someone-elses-token"))
    assert response.status_code == 403
    assert response.text == "invalid signature"
    assert dialogue.calls == []


def test_a_replayed_callback_with_a_stale_timestamp_is_refused(client: TestClient, dialogue):
    response = post(client, text_xml("身份证"), signed_query(timestamp=int(time.time()) - 3600))
    assert response.status_code == 403
    assert "stale timestamp" in response.text
    assert dialogue.calls == []


def test_without_a_configured_token_nothing_is_accepted(dialogue):
    with TestClient(make_app(dialogue, token="")) as unconfigured:
        response = post(unconfigured, text_xml("身份证"), signed_query(token=""))
    assert response.status_code == 503
    assert response.text == "the WeChat channel is not configured: set WECHAT_TOKEN"
    assert dialogue.calls == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<xml><MsgType><![CDATA[text]]></MsgType><Content>", "malformed XML"),
        ("身份证丢了怎么办", "malformed XML"),
        ("<xml><Content><![CDATA[你好]]></Content></xml>", "expected <xml> with MsgType and FromUserName"),
        (
            '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>',
            "DOCTYPE and ENTITY declarations are not accepted",
        ),
    ],
)
def test_malformed_xml_is_a_400_with_a_clear_message(client: TestClient, dialogue, body: str, reason: str):
    response = post(client, body)
    assert response.status_code == 400
    assert reason in response.text
    assert dialogue.calls == []


def test_an_overlong_timestamp_is_refused_before_anything_else(client: TestClient, dialogue):
    query = {**signed_query(), "timestamp": "9" * 400}  # int() takes it; as a float it overflows
    for response in (post(client, text_xml("身份证"), query), client.get("/wechat", params={**query, "echostr": "1"})):
        assert response.status_code == 403 and "timestamp" in response.text
    assert dialogue.calls == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (text_xml("身份证").replace("<MsgId>23456789012345678</MsgId>", "<MsgId>abc</MsgId>"), "malformed XML"),
        (text_xml("身份证").replace("</xml>", "<Content><![CDATA[再来]]></Content></xml>"), "<Content> repeated"),
        (text_xml("身份证").replace("<![CDATA[身份证]]>", "<b>身份证</b>"), "<Content> repeated or holding"),
    ],
)
def test_a_signed_message_with_odd_fields_is_a_400_not_a_busy_reply(
    client: TestClient, dialogue, body: str, reason: str
):
    response = post(client, body)  # signed with the right token: only its content is odd
    assert response.status_code == 400 and reason in response.text
    assert dialogue.calls == []


def test_an_oversized_body_is_refused(client: TestClient, dialogue):
    response = post(client, text_xml("办" * 30_000))
    assert response.status_code == 413
    assert dialogue.calls == []


# ---------------------------------------------------------------------------------------------------------------
# Messages


def test_a_text_message_gets_the_dialogues_answer_as_a_text_reply(client: TestClient, dialogue):
    dialogue.script["结婚登记要带什么"] = [BotMessage(text="结婚登记需要双方的居民身份证。\n以及本人签字的声明。")]
    reply = reply_of(post(client, text_xml("结婚登记要带什么")))
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == OPENID
    assert reply["FromUserName"] == ACCOUNT
    assert reply["Content"] == "结婚登记需要双方的居民身份证。\n以及本人签字的声明。"
    assert dialogue.calls == [(f"wx:{OPENID}", "结婚登记要带什么")]


def test_options_are_numbered_and_a_number_sends_that_options_payload(client: TestClient, dialogue):
    first = reply_of(post(client, text_xml("身份证", msg_id=1)))
    assert first["Content"] == "请问您要办理哪种身份证业务？\n\n请回复数字选择：\n1. 首次申领\n2. 补领"

    post(client, text_xml("2", msg_id=2))
    assert dialogue.messages[-1] == '/choose{"case":"lost"}'


@pytest.mark.parametrize(
    ("typed", "payload"), [("１", '/choose{"case":"first"}'), ("第二个", '/choose{"case":"lost"}')]
)
def test_full_width_and_spelled_out_choices_pick_the_option(client: TestClient, dialogue, typed: str, payload: str):
    post(client, text_xml("身份证", msg_id=11))
    post(client, text_xml(typed, msg_id=12))
    assert dialogue.messages == ["身份证", payload]


def test_a_number_beyond_the_options_asks_again_without_a_dialogue_turn(client: TestClient, dialogue):
    post(client, text_xml("身份证", msg_id=21))
    reply = reply_of(post(client, text_xml("5", msg_id=22)))
    assert reply["Content"] == "请回复 1 到 2 之间的数字选择，或直接输入您的问题。"
    assert dialogue.messages == ["身份证"]


def test_a_number_without_options_on_offer_goes_to_the_dialogue_as_typed(client: TestClient, dialogue):
    post(client, text_xml("2", msg_id=31))
    assert dialogue.messages == ["2"]


def test_a_voice_message_sends_its_recognition_text(client: TestClient, dialogue):
    dialogue.script["身份证丢了怎么办"] = [BotMessage(text="身份证丢失可以申请补领。")]
    reply = reply_of(post(client, voice_xml("身份证丢了怎么办")))
    assert reply["Content"] == "身份证丢失可以申请补领。"
    assert dialogue.messages == ["身份证丢了怎么办"]


def test_a_voice_message_without_recognition_is_asked_to_type(client: TestClient, dialogue):
    reply = reply_of(post(client, voice_xml(None)))
    assert "没能听清" in reply["Content"]
    assert "文字" in reply["Content"]
    assert dialogue.calls == []


def test_subscribing_gets_a_welcome_saying_what_the_assistant_does(client: TestClient, dialogue):
    content = reply_of(post(client, event_xml("subscribe", key="")))["Content"]
    assert "欢迎关注政务助手" in content
    assert "一次性告知单" in content
    assert "材料清单" in content
    assert "12345" in content
    assert dialogue.calls == []


@pytest.mark.parametrize(("key", "message"), [("checklist", "我要生成材料清单"), ("human", "转人工")])
def test_a_menu_click_sends_its_message(client: TestClient, dialogue, key: str, message: str):
    dialogue.script[message] = [BotMessage(text="好的。")]
    reply = reply_of(post(client, event_xml("CLICK", key=key)))
    assert reply["Content"] == "好的。"
    assert dialogue.calls == [(f"wx:{OPENID}", message)]


def test_an_unknown_menu_key_is_answered_politely(client: TestClient, dialogue):
    reply = reply_of(post(client, event_xml("CLICK", key="V1001_OLD_MENU")))
    assert "菜单暂时不可用" in reply["Content"]
    assert dialogue.calls == []


def test_an_image_gets_the_only_text_and_voice_reply(client: TestClient, dialogue):
    reply = reply_of(post(client, image_xml()))
    assert "只能识别文字和语音" in reply["Content"]
    assert dialogue.calls == []


def test_unsubscribing_gets_success_and_no_reply(client: TestClient, dialogue):
    response = post(client, event_xml("unsubscribe"))
    assert response.status_code == 200
    assert response.text == "success"


def test_a_failing_dialogue_gets_an_apology_naming_12345(dialogue):
    dialogue.fail = True
    with TestClient(make_app(dialogue)) as failing:
        reply = reply_of(post(failing, text_xml("身份证")))
    assert "系统暂时繁忙" in reply["Content"]
    assert "12345" in reply["Content"]


def test_a_long_answer_is_cut_under_2048_bytes_with_the_notice_link(client: TestClient, dialogue):
    text = "\n".join(f"{i}. 申请材料第{i}项：居民户口簿原件及复印件一份（由公安机关核发）。" for i in range(1, 200))[
        :5000
    ]
    assert len(text) == 5000
    dialogue.script["告知单"] = [BotMessage(text=text, link="/notice/resident-id-card-first?case=lost")]
    content = reply_of(post(client, text_xml("告知单", msg_id=41)))["Content"]
    assert len(content.encode("utf-8")) <= 2048
    assert content.startswith("1. 申请材料第1项")
    assert f"打印/查看告知单：{PUBLIC_URL}/notice/resident-id-card-first?case=lost" in content
    assert "回复“更多”" in content

    following = reply_of(post(client, text_xml("更多", msg_id=42)))["Content"]
    assert len(following.encode("utf-8")) <= 2048
    shown_last = content.split("\n……")[0].splitlines()[-1]
    number = int(shown_last.split(".")[0])
    assert following.startswith(f"{number + 1}. 申请材料第{number + 1}项")
    assert dialogue.messages == ["告知单"]


def test_reply_content_cannot_break_out_of_the_xml(client: TestClient, dialogue):
    dialogue.script["x"] = [BotMessage(text="a]]><MsgType>news</MsgType>b")]
    reply = reply_of(post(client, text_xml("x")))
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "a]]><MsgType>news</MsgType>b"


# ---------------------------------------------------------------------------------------------------------------
# Retries and the 5-second rule


def test_the_same_msgid_twice_is_processed_once_and_gets_the_same_reply(client: TestClient, dialogue):
    first = reply_of(post(client, text_xml("身份证", msg_id=51)))
    retry = reply_of(post(client, text_xml("身份证", msg_id=51)))
    assert retry["Content"] == first["Content"]
    assert dialogue.messages == ["身份证"]


def test_a_retry_during_processing_waits_for_the_first_and_gets_the_same_reply(dialogue):
    dialogue.delay = 0.5
    with TestClient(make_app(dialogue)) as slow_client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(post, slow_client, text_xml("身份证", msg_id=61))
        time.sleep(0.1)
        retry = pool.submit(post, slow_client, text_xml("身份证", msg_id=61))
        contents = [reply_of(first.result())["Content"], reply_of(retry.result())["Content"]]
    assert contents[0] == contents[1]
    assert contents[0].endswith("2. 补领")
    assert dialogue.messages == ["身份证"]


def test_events_are_deduplicated_on_sender_and_create_time(client: TestClient, dialogue):
    dialogue.script["转人工"] = [BotMessage(text="正在为您转接人工。")]
    stamp = int(time.time())
    post(client, event_xml("CLICK", key="human", create_time=stamp))
    post(client, event_xml("CLICK", key="human", create_time=stamp))
    assert dialogue.messages == ["转人工"]


@pytest.mark.slow
def test_a_slow_answer_replies_success_then_goes_out_as_a_customer_service_message(dialogue, fake_api):
    fake, api_url = fake_api
    dialogue.delay = 1.0
    dialogue.script["注册公司要多久"] = [BotMessage(text="企业开办一个工作日内办结。")]
    app = make_app(dialogue, api_url=api_url, reply_deadline=0.3)
    with TestClient(app) as slow_client:
        started = time.monotonic()
        response = post(slow_client, text_xml("注册公司要多久", msg_id=71))
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert response.text == "success"
        assert elapsed < 0.9

        # WeChat retries when the first response was lost: same MsgId, same "success", no second processing
        assert post(slow_client, text_xml("注册公司要多久", msg_id=71)).text == "success"
        sent = fake.wait_for_sent(1)
    assert sent == [
        {
            "touser": OPENID,
            "msgtype": "text",
            "text": {"content": "企业开办一个工作日内办结。"},
            "access_token": "ACCESS_TOKEN_1",
        }
    ]
    assert fake.token_requests == [{"grant_type": "client_credential", "appid": APPID, "secret": SECRET}]
    assert dialogue.messages == ["注册公司要多久"]


def test_a_late_answer_still_pending_at_shutdown_is_cancelled_not_awaited(bundled):
    started, cancelled = threading.Event(), threading.Event()

    class Endless:
        async def send(self, sender_id: str, message: str) -> list[BotMessage]:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return [BotMessage(text="企业开办一个工作日内办结。")]

        async def ready(self) -> bool:
            return True

    wechat = WeChatSettings(token=TOKEN, appid=APPID, secret=SECRET, api_url="http://127.0.0.1:9/", reply_deadline=0.2)
    app = create_app(Settings(wechat=wechat), holder=CatalogueHolder(bundled), dialogue=Endless())
    with TestClient(app) as client:
        channel = app.state.assistant.wechat
        assert post(client, text_xml("注册公司要多久", msg_id=91)).text == "success"  # the answer will come later
        assert started.is_set() and channel.pending == 1
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5  # the application stops without waiting for the dialogue
    assert cancelled.is_set()  # and the answer is not sent half-way through stopping
    assert channel.pending == 0


@pytest.mark.slow
def test_the_customer_service_sender_retries_with_backoff_and_reuses_its_token(fake_api):
    fake, api_url = fake_api
    fake.failures = 2
    sender = CustomerServiceSender(APPID, SECRET, api_url, attempts=3, backoff=0.05)

    async def send_two() -> list[bool]:
        return [await sender.send_text(OPENID, "第一条"), await sender.send_text(OPENID, "第二条")]

    assert asyncio.run(send_two()) == [True, True]
    assert fake.send_attempts == 4
    assert [message["text"]["content"] for message in fake.sent] == ["第一条", "第二条"]
    assert len(fake.token_requests) == 1


@pytest.mark.slow
def test_the_customer_service_sender_gives_up_after_its_attempts(fake_api):
    fake, api_url = fake_api
    fake.failures = 10
    sender = CustomerServiceSender(APPID, SECRET, api_url, attempts=3, backoff=0.01)
    assert asyncio.run(sender.send_text(OPENID, "你好")) is False
    assert fake.send_attempts == 3
    assert fake.sent == []


# ---------------------------------------------------------------------------------------------------------------
# Safe mode (encrypted messages, msg_signature)


def safe_mode_request(xml: str, nonce: str = "246813579") -> tuple[dict[str, str], str]:
    """Encrypt ``xml`` like WeChat in safe mode; returns the query and the body."""
    stamp = str(int(time.time()))
    envelope = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(xml, nonce, stamp))["xml"]
    encrypted = envelope["Encrypt"]
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    query = {
        "signature": sign(TOKEN, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": OPENID,
        "encrypt_type": "aes",
        "msg_signature": sign(TOKEN, stamp, nonce, encrypted),
    }
    return query, body


@pytest.fixture
def safe_client(dialogue: ScriptedDialogue) -> Iterator[TestClient]:
    with TestClient(make_app(dialogue, aes_key=AES_KEY)) as test_client:
        yield test_client


def test_safe_mode_decrypts_the_message_and_encrypts_the_reply(safe_client: TestClient, dialogue):
    query, body = safe_mode_request(text_xml("身份证", msg_id=81))
    response = safe_client.post("/wechat", params=query, content=body.encode())
    assert response.status_code == 200
    envelope = xmltodict.parse(response.text)["xml"]
    assert envelope["MsgSignature"] == sign(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    plain = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply = xmltodict.parse(plain)["xml"]
    assert reply["ToUserName"] == OPENID
    assert reply["Content"].endswith("1. 首次申领\n2. 补领")
    assert dialogue.calls == [(f"wx:{OPENID}", "身份证")]


def test_safe_mode_checks_msg_signature_not_just_signature(safe_client: TestClient, dialogue):
    query, _ = safe_mode_request(text_xml("身份证", msg_id=82))
    # a valid `signature` but a payload it does not cover: msg_signature no longer matches
    _, other_body = safe_mode_request(text_xml("转人工", msg_id=83))
    response = safe_client.post("/wechat", params=query, content=other_body.encode())
    assert response.status_code == 403
    assert dialogue.calls == []


def test_safe_mode_refuses_plaintext_messages(safe_client: TestClient, dialogue):
    response = post(safe_client, text_xml("身份证", msg_id=84))
    assert response.status_code == 403
    assert "encrypt_type=aes" in response.text
    assert dialogue.calls == []


def test_safe_mode_url_verification_still_echoes(safe_client: TestClient):
    response = safe_client.get("/wechat", params={**signed_query(), "echostr": "8888"})
    assert response.text == "8888"


# ---------------------------------------------------------------------------------------------------------------
# The service classes on their own


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1", 1),
        ("１", 1),
        ("①", 1),
        ("第一个", 1),
        ("第2个", 2),
        ("选3", 3),
        ("2.", 2),
        ("十二", 12),
        ("12345", None),
        ("身份证", None),
        ("0", None),
    ],
)
def test_parse_choice(typed: str, number: int | None):
    assert parse_choice(typed) == number


def test_paginate_keeps_options_whole_and_the_rest_for_more():
    buttons = [Button(title="是", payload="/yes"), Button(title="否", payload="/no")]
    reply = paginate("很长的说明。\n" * 400, buttons, [], REPLIES, limit=600)
    assert utf8_len(reply.text) <= 600
    assert reply.text.endswith("请回复数字选择：\n1. 是\n2. 否")
    assert "回复“更多”" in reply.text
    assert reply.remainder.startswith("很长的说明。")
    shown = reply.text.split("\n……")[0]
    assert len(shown) + len(reply.remainder) + 1 == len("很长的说明。\n" * 400)


def test_format_messages_makes_relative_links_absolute_once():
    messages = [BotMessage(text="清单如下。", link="/notice/x"), BotMessage(text="可打印。", link="/notice/x")]
    reply = format_messages(messages, REPLIES, "https://zwzs.example.gov.cn/base/")
    assert reply.text == "清单如下。\n\n可打印。\n\n打印/查看告知单：https://zwzs.example.gov.cn/base/notice/x"


def test_bounded_ttl_cache_evicts_the_oldest_and_the_expired():
    now = [0.0]
    cache: BoundedTTLCache[str, int] = BoundedTTLCache(ttl=10, max_entries=2, clock=lambda: now[0])
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    now[0] = 11
    assert cache.get("b") is None
    cache.set("d", 4)
    assert len(cache) == 1


def test_conversation_memory_forgets_a_reply_without_options():
    async def remember_twice():
        memory = ConversationMemory()
        await memory.remember(OPENID, FormattedReply("请选择", [Button(title="是", payload="/yes")], remainder="余下"))
        first = await memory.last(OPENID)
        await memory.remember(OPENID, FormattedReply("好的"))
        return first, await memory.last(OPENID)

    first, second = asyncio.run(remember_twice())
    assert (first.buttons[0].payload, first.remainder) == ("/yes", "余下")
    assert second is None


# ---------------------------------------------------------------------------------------------------------------
# Several processes serving one account (state in a real Redis)


def test_a_retry_reaching_another_process_gets_the_first_ones_reply(dialogue, redis_server):
    dialogue.delay = 0.5
    first_app, second_app = (
        make_app(dialogue, redis_url=redis_server.url),
        make_app(dialogue, redis_url=redis_server.url),
    )
    with TestClient(first_app) as first, TestClient(second_app) as second, ThreadPoolExecutor(2) as pool:
        answer = pool.submit(post, first, text_xml("身份证", msg_id=1001))
        time.sleep(0.15)
        retry = pool.submit(post, second, text_xml("身份证", msg_id=1001))
        contents = [reply_of(answer.result())["Content"], reply_of(retry.result())["Content"]]
    assert contents[0] == contents[1]
    assert contents[0].endswith("2. 补领")
    assert dialogue.messages == ["身份证"]  # processed once, by the first process


def test_an_option_number_reaching_another_process_picks_the_option_the_first_showed(dialogue, redis_server):
    with TestClient(make_app(dialogue, redis_url=redis_server.url)) as first:
        assert reply_of(post(first, text_xml("身份证", msg_id=1101)))["Content"].endswith("2. 补领")
    with TestClient(make_app(dialogue, redis_url=redis_server.url)) as second:
        post(second, text_xml("2", msg_id=1102))
    assert dialogue.messages == ["身份证", ID_CARD_OPTIONS[0].buttons[1].payload]


def test_pages_of_a_long_answer_continue_on_another_process(dialogue, redis_server):
    text = "\n".join(f"{i}. 申请材料第{i}项：居民户口簿原件及复印件一份。" for i in range(1, 120))
    dialogue.script["告知单"] = [BotMessage(text=text)]
    with TestClient(make_app(dialogue, redis_url=redis_server.url)) as first:
        shown = reply_of(post(first, text_xml("告知单", msg_id=1201)))["Content"]
    with TestClient(make_app(dialogue, redis_url=redis_server.url)) as second:
        following = reply_of(post(second, text_xml("更多", msg_id=1202)))["Content"]
    number = int(shown.split("\n……")[0].splitlines()[-1].split(".")[0])
    assert following.startswith(f"{number + 1}. 申请材料第{number + 1}项")
    assert dialogue.messages == ["告知单"]


def test_with_redis_gone_each_process_still_answers_alone(dialogue):
    from assistant.serving.throwaway import free_port

    with TestClient(make_app(dialogue, redis_url=f"redis://127.0.0.1:{free_port()}/0")) as alone:
        reply = reply_of(post(alone, text_xml("身份证", msg_id=1301)))
        assert reply["Content"].endswith("2. 补领")
        post(alone, text_xml("2", msg_id=1302))  # the options were kept in no store: "2" goes on as typed
    assert dialogue.messages == ["身份证", "2"]


@pytest.mark.slow
def test_a_late_answer_queued_in_redis_goes_out_once_whichever_process_sends_it(dialogue, fake_api, redis_server):
    fake, api_url = fake_api
    dialogue.delay = 1.0
    dialogue.script["注册公司要多久"] = [BotMessage(text="企业开办一个工作日内办结。")]
    apps = [make_app(dialogue, redis_url=redis_server.url, api_url=api_url, reply_deadline=0.3) for _ in range(2)]
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        assert post(first, text_xml("注册公司要多久", msg_id=1401)).text == "success"
        assert post(second, text_xml("注册公司要多久", msg_id=1401)).text == "success"  # WeChat's retry
        sent = fake.wait_for_sent(1)
        time.sleep(1.0)  # a second sending would have happened by now
    assert [message["text"]["content"] for message in fake.sent] == ["企业开办一个工作日内办结。"]
    assert sent[0]["touser"] == OPENID
    assert dialogue.messages == ["注册公司要多久"]
