"""No input on a public endpoint is answered with a server error (issue 17).

Hypothesis sends the web chat, question answering, the items API, the printable notice, the staff search and the
WeChat callback arbitrary text (control characters, lone surrogates where JSON escapes can carry them, emoji,
Chinese, strings up to 100,000 characters), arbitrary JSON values, query strings and bytes; the WeChat callback
also gets random XML and bytes under a valid signature, and in safe mode random XML encrypted like WeChat
encrypts it. Every answer must be a success or a client error (4xx), never 5xx, and never a traceback.

The application is the real one over the bundled catalogue (no index), its dialogue an echo that also offers
options (so WeChat's numbered choices and paging run too); ``/api/v1/ask`` and the search read through the real
index (``holder``), so their fuzz is an integration test. An exception the application does not handle is raised
by the test client, so a failure shows its traceback with Hypothesis' smallest input.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlencode
from xml.sax.saxutils import escape

import httpx
import pytest
import xmltodict
from app_doubles import CatalogueHolder, FakeDialogue
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from staff_accounts import add_staff, log_in
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from api.app import create_app
from api.dialogue import BotMessage, Button
from api.senders import SenderIds
from api.settings import ChatSettings, Settings, WeChatSettings
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue
from knowledge.checklist import questions_of
from knowledge.schema import Question

pytestmark = pytest.mark.integration  # hundreds of requests per test: seconds, not milliseconds

TOKEN = "fuzz-wechat-token"
APPID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CHAT_SECRET = "fuzz-chat-secret"
OPENID = "oFuzz0123456789"

URL_CHARS = 2000  # the longest address a page links to or a browser sends in the fuzz tests
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# --- strategies ------------------------------------------------------------------------------------------------

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
ODD = st.sampled_from(
    [
        "\u200b",
        "\u202e",
        "\ufeff",
        "\ufffe",
        "\uffff",
        "\U0010ffff",
        "\u0301",
        "＊",
        "%",
        "\\",
        "'",
        '"',
        "<",
        ">",
        "&",
        "{",
        "}",
        "/",
        "\t",
        "\x00",
        "*",
        "#",
        "?",
    ]
)
# single characters (st.text's alphabet), none a surrogate (it has no UTF-8): those come from SURROGATE, where JSON
# escapes carry them
CHAR = st.one_of(st.characters(codec="utf-8"), CONTROL, CHINESE, EMOJI, ODD)
WORDS = st.sampled_from(
    [
        "",
        " ",
        "身份证丢了怎么办",
        "结婚登记要带什么材料",
        "帮我生成结婚登记的材料清单",
        "新生儿出生一件事",
        "sfz",
        "hz",
        "jiehun",
        "那要多少钱？",
        "转人工",
        "更多",
        "下一页",
        "1",
        "２",
        "十",
        "0",
        "-1",
        "99999999999999999999",
        "/restart",
        "/ask_checklist",
        '/choose_option{"option": "yes"}',
        '/choose_option{"option": ',
        "/",
        "null",
        "true",
        "<script>alert(1)</script>",
        "'; DROP TABLE events;--",
        "11010519491231002X",
        "13912345678",
        "6222021234567890128",
        "领导您好，我是外省户籍，想问1、身份证怎么补办 2、要多久？望领导给予回复。",
        "😀" * 3,
        "ｓｆｚ",
        "]]>",
        "\r\n",
        "**",
    ]
)


def huge(text: str, length: int) -> str:
    """``text`` repeated to ``length`` characters: large inputs cost Hypothesis nothing to draw."""
    return (text * (length // len(text) + 1))[:length]


HUGE = st.builds(huge, st.one_of(WORDS.filter(bool), st.text(CHAR, min_size=1, max_size=8)), st.integers(1, 100_000))
TEXT = st.one_of(
    st.text(CHAR, max_size=80),
    WORDS,
    st.lists(st.one_of(WORDS, st.text(CHAR, max_size=10)), max_size=8).map("".join),
    HUGE,
)
SHORT_TEXT = st.one_of(st.text(CHAR, max_size=30), WORDS)
JSON_TEXT = st.one_of(TEXT, st.text(st.one_of(CHAR, SURROGATE), max_size=40))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | JSON_TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(JSON_TEXT, children, max_size=5),
    max_leaves=12,
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=gbk",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "*/*",
        "",
    ]
)
# query strings: parameters httpx encodes (no surrogates: they have no UTF-8), and raw escapes of any bytes
# a URL stays under the client's 65,536 characters: a long value is 600 characters, up to 12 each escaped
PARAMS = st.lists(st.tuples(SHORT_TEXT, st.one_of(SHORT_TEXT, HUGE.map(lambda s: s[:600]))), max_size=6)
RAW_QUERY = st.binary(max_size=200).map(lambda raw: quote_from_bytes(raw, safe="=&"))
PATH_SEGMENT = st.one_of(
    st.text(CHAR, min_size=1, max_size=40).map(lambda s: quote(s, safe="")),
    st.binary(min_size=1, max_size=60).map(lambda raw: quote_from_bytes(raw, safe="")),
    WORDS.filter(bool).map(lambda s: quote(s, safe="")),
    st.sampled_from(["..", ".", "%2e%2e", "%00", "%", "%zz", "~", "a%2Fb"]),
)


@st.composite
def json_bodies(draw, shaped: st.SearchStrategy) -> tuple[bytes, str | None]:
    """A request body and its Content-Type: the endpoint's own shape with arbitrary values, any JSON value, JSON
    cut short or not UTF-8, or random bytes."""
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "any", "broken", "bytes"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    else:
        value = draw(shaped if kind == "shaped" else JSON_VALUE)
        text = json.dumps(value, ensure_ascii=draw(st.booleans()), allow_nan=True)
        body = text.encode("utf-8", "surrogatepass")  # a lone surrogate unescaped is not UTF-8: a broken body
        if kind == "broken":
            body = body[: draw(st.integers(0, max(0, len(body) - 1)))] + draw(st.binary(max_size=4))
    return body, draw(CONTENT_TYPES)


def chat_shapes() -> st.SearchStrategy:
    issued = SenderIds(CHAT_SECRET).issue()
    sender = st.one_of(
        st.none(),
        st.just(issued),
        st.just(issued[:-1] + "A"),
        st.just(SenderIds("another-secret").issue()),
        st.sampled_from(["wx:" + OPENID, "web-1f2e3d", "", "w..", "w.a.b"]),
        JSON_TEXT,
        JSON_VALUE,
    )
    return st.fixed_dictionaries({"message": st.one_of(TEXT, JSON_TEXT, JSON_VALUE)}, optional={"sender_id": sender})


def ask_shapes() -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"query": st.one_of(TEXT, JSON_TEXT, JSON_VALUE)},
        optional={"context_item": st.one_of(st.none(), TEXT, WORDS, JSON_VALUE), "extra": JSON_VALUE},
    )


# --- the applications ------------------------------------------------------------------------------------------


class OptionsDialogue(FakeDialogue):
    """Echoes the message and offers two options made from it, with a link: every channel's formatting runs on
    the fuzzer's text (WeChat's numbered options and pages, the chat's buttons)."""

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        await super().send(sender_id, message)
        del self.calls[:-100]  # the fuzzer sends thousands: keep the last ones only
        buttons = [Button(title=message[:20] or "-", payload=message[:200] or "/x"), Button(title="二", payload="2")]
        return [
            BotMessage(text=f"echo: {message}"),
            BotMessage(text=message * 3, buttons=buttons, link=f"/notice/{quote(message[:30], safe='')}"),
        ]


def fuzz_settings(data_dir: Path | None = None, **wechat: object) -> Settings:
    return Settings(
        paths=PathSettings(data_dir=data_dir) if data_dir is not None else PathSettings(),
        chat=ChatSettings(secret=CHAT_SECRET),
        wechat=WeChatSettings(
            token=TOKEN, appid=APPID, secret="fuzz-app-secret", api_url="http://127.0.0.1:9/", **wechat
        ),
    )


def client_of(app: FastAPI) -> TestClient:
    # unhandled exceptions are raised in the test (with their traceback), not turned into a 500 page
    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture(scope="module")
def client(bundled: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir)
    app = create_app(fuzz_settings(data_dir), holder=CatalogueHolder(bundled), dialogue=OptionsDialogue())
    with client_of(app) as test_client:
        log_in(test_client)  # the staff lookup is fuzzed as a logged-in clerk reaches it
        yield test_client


@pytest.fixture(scope="module")
def safe_client(bundled: Catalogue) -> Iterator[TestClient]:
    app = create_app(fuzz_settings(aes_key=AES_KEY), holder=CatalogueHolder(bundled), dialogue=OptionsDialogue())
    with client_of(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def indexed_client(holder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("data")
    add_staff(data_dir)
    with client_of(create_app(fuzz_settings(data_dir), holder=holder, dialogue=OptionsDialogue())) as test_client:
        log_in(test_client)
        yield test_client


def assert_no_server_error(response: httpx.Response) -> None:
    """The property: a success or a client error, and no traceback in what is said."""
    event(f"{response.request.method} {response.request.url.path.split('/')[1]} {response.status_code}")
    assert response.status_code < 500, (response.status_code, response.text[:2000])
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:2000]


def post(client: TestClient, url: str, body: tuple[bytes, str | None], **kwargs) -> httpx.Response:
    content, content_type = body
    headers = {"content-type": content_type} if content_type is not None else {}
    return client.post(url, content=content, headers=headers, **kwargs)


def post_json(client: TestClient, url: str, value: object) -> httpx.Response:
    """``value`` as JSON with escapes, so lone surrogates travel as ``\\udXXX`` (httpx would refuse them)."""
    return post(client, url, (json.dumps(value).encode(), "application/json"))


# --- web chat ----------------------------------------------------------------------------------------------------


@FUZZ
@given(body=json_bodies(chat_shapes()))
def test_the_chat_never_fails_on_any_body(client: TestClient, body) -> None:
    response = post(client, "/api/v1/chat", body)
    assert_no_server_error(response)
    if response.status_code == 200:  # answered: always under an id this server issued
        assert SenderIds(CHAT_SECRET).verify(response.json()["sender_id"])


@FUZZ
@given(message=st.one_of(TEXT, JSON_TEXT), choice=st.sampled_from(["1", "2", "3", "更多", "0"]) | TEXT)
def test_a_conversation_goes_on_whatever_is_said(client: TestClient, message: str, choice: str) -> None:
    first = post_json(client, "/api/v1/chat", {"message": message})
    assert_no_server_error(first)
    if first.status_code == 200:
        sender_id = first.json()["sender_id"]
        then = post_json(client, "/api/v1/chat", {"sender_id": sender_id, "message": choice})
        assert_no_server_error(then)
        assert then.status_code in (200, 413), then.text[:500]  # only a body over MAX_BODY_BYTES is refused
        if then.status_code == 200:
            assert then.json()["sender_id"] == sender_id  # the conversation goes on under its id


# --- items, notices, staff search ----------------------------------------------------------------------------------


@st.composite
def entries(draw, catalogue: Catalogue) -> tuple[str, list[Question]]:
    """A path segment naming an item or bundle (three times in four) or anything, and the questions it asks."""
    if draw(st.sampled_from(["entry", "entry", "entry", "anything"])) == "entry":
        entry = draw(st.sampled_from(catalogue.entries()))
        return quote(entry.id, safe=""), questions_of(catalogue, entry)
    return draw(PATH_SEGMENT), []


def answer_pairs(questions: list[Question]) -> st.SearchStrategy:
    """(question id, option id) pairs: the entry's own, in any combination (a follow-up without its opener, two
    options of a single choice), and unknown ones."""
    if not questions:
        return st.tuples(SHORT_TEXT, SHORT_TEXT)
    own = st.sampled_from(questions).flatmap(
        lambda q: st.tuples(st.just(q.id), st.sampled_from([o.id for o in q.options]))
    )
    unknown = st.tuples(st.sampled_from([q.id for q in questions]) | SHORT_TEXT, SHORT_TEXT)
    return st.one_of(own, own, own, unknown)


def answers_of(questions: list[Question]) -> st.SearchStrategy:
    """A checklist request's ``answers``: pairs as a mapping, a list where one option is expected, or anything."""
    pairs = st.lists(answer_pairs(questions), max_size=6)
    as_lists = pairs.map(lambda items: {q: [o] for q, o in items})
    anything = st.dictionaries(JSON_TEXT, JSON_VALUE, max_size=4)
    return st.one_of(pairs.map(dict), pairs.map(dict), pairs.map(dict), as_lists, anything, JSON_VALUE)


@FUZZ
@given(data=st.data())
def test_the_items_api_never_fails(client: TestClient, bundled: Catalogue, data) -> None:
    item, questions = data.draw(entries(bundled), label="item")
    params = data.draw(PARAMS, label="params")
    assert_no_server_error(client.get("/api/v1/items", params=params))
    assert_no_server_error(client.get(f"/api/v1/items?{data.draw(RAW_QUERY, label='raw query')}"))
    search = st.fixed_dictionaries(
        {}, optional={name: SHORT_TEXT | st.integers().map(str) for name in ("q", "limit", "department")}
    )
    assert_no_server_error(client.get("/api/v1/items", params=data.draw(search, label="search")))
    assert_no_server_error(client.get(f"/api/v1/items/{item}", params=params))
    shaped = st.fixed_dictionaries({}, optional={"answers": answers_of(questions), "extra": JSON_VALUE})
    body = data.draw(json_bodies(shaped), label="checklist body")
    response = post(client, f"/api/v1/items/{item}/checklist", body)
    assert_no_server_error(response)


@FUZZ
@given(data=st.data())
def test_the_notice_page_and_the_staff_search_never_fail(client: TestClient, bundled: Catalogue, data) -> None:
    item, questions = data.draw(entries(bundled), label="item")
    answers = data.draw(st.lists(answer_pairs(questions), max_size=6) | PARAMS, label="answers")
    accept = data.draw(st.sampled_from(["text/html", "application/json", "*/*", "text/html;q=0", ""]), label="accept")
    assert_no_server_error(client.get(f"/notice/{item}", params=answers, headers={"accept": accept}))
    assert_no_server_error(client.get(f"/staff/items/{item}", headers={"accept": accept}))
    odd_paths = st.sampled_from(["/notice/", "/notice/%zz", "notice/x?a=b", "/notice/x?%ff=1", "/notices/print?n=x"])
    # a notice's address as a browser keeps it: the answers of a long emoji draw, encoded twice over, made a query
    # past the HTTP client's own limit (64 KiB), which no server ever receives (uvicorn refuses a request line that long)
    notice = f"/notice/{item}?{urlencode(answers)}"[:URL_CHARS]
    batch = st.lists(st.just(notice) | odd_paths | SHORT_TEXT, max_size=4)
    printed = client.get("/notices/print", params=[("n", path) for path in data.draw(batch, label="batch")])
    assert_no_server_error(printed)
    assert_no_server_error(client.get("/staff/search", params=data.draw(PARAMS, label="search")))
    assert_no_server_error(client.get(f"/staff/search?{data.draw(RAW_QUERY, label='raw')}"))


# --- question answering and search through the real index ----------------------------------------------------------


@FUZZ
@given(body=json_bodies(ask_shapes()), q=st.one_of(TEXT, JSON_TEXT).map(lambda s: s[:300]))
def test_question_answering_and_search_never_fail(indexed_client: TestClient, body, q: str) -> None:
    response = post(indexed_client, "/api/v1/ask", body)
    assert_no_server_error(response)
    try:
        q.encode("utf-8")
    except UnicodeEncodeError:
        q = q.encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # a query string carries UTF-8 only
    assert_no_server_error(indexed_client.get("/api/v1/items", params={"q": q}))
    assert_no_server_error(indexed_client.get("/staff/search", params={"q": q}))


@FUZZ
@given(query=st.one_of(TEXT, JSON_TEXT).map(lambda s: s[:1000]), context=st.one_of(st.none(), WORDS, SHORT_TEXT))
def test_every_question_of_up_to_1000_characters_is_answered(indexed_client: TestClient, query, context) -> None:
    response = post_json(indexed_client, "/api/v1/ask", {"query": query, "context_item": context})
    assert_no_server_error(response)
    assert response.status_code == 200, response.text[:500]  # within the limits, every question gets an answer


# --- WeChat ------------------------------------------------------------------------------------------------------


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_query(nonce: str, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {"signature": sign(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": OPENID}


FIELD_NAMES = st.sampled_from(
    [
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "Content",
        "MsgId",
        "Event",
        "EventKey",
        "Recognition",
        "MediaId",
        "Format",
        "Ticket",
        "Latitude",
        "Longitude",
        "PicUrl",
        "Encrypt",
    ]
) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
FIELD_VALUES = st.one_of(
    SHORT_TEXT,
    st.integers().map(str),
    st.sampled_from(["text", "voice", "event", "image", "location", "link", "video", "shortvideo", "file"]),
    st.sampled_from(["subscribe", "unsubscribe", "SCAN", "LOCATION", "CLICK", "VIEW", "TEMPLATESENDJOBFINISH"]),
    st.sampled_from(["checklist", "human", "restart", "ask", "help", "qrscene_1", ""]),
    HUGE.map(lambda s: s[:3000]),
)


@st.composite
def wechat_xml(draw) -> str:
    """XML like WeChat's: a text message with fields replaced, added or dropped, each written as CDATA, escaped
    text, nested or repeated, or plain garbage."""
    fields = {
        "ToUserName": "gh_0123456789ab",
        "FromUserName": draw(st.sampled_from([OPENID, "oOther"]) | SHORT_TEXT),
        "CreateTime": str(int(time.time())),
        "MsgType": "text",
        "Content": draw(TEXT.map(lambda s: s[:3000])),
        "MsgId": str(draw(st.integers(0, 2**64))),
    }
    fields |= draw(st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=6))
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3)):
        fields.pop(name, None)
    parts = []
    for name, value in fields.items():
        form = draw(st.sampled_from(["cdata", "escaped", "raw", "nested", "repeated", "empty"]))
        if form == "cdata":
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
        elif form == "escaped":
            parts.append(f"<{name}>{escape(value)}</{name}>")
        elif form == "raw":
            parts.append(f"<{name}>{value}</{name}>")
        elif form == "nested":
            parts.append(f"<{name}><a>{escape(value)}</a><b/></{name}>")
        elif form == "repeated":
            parts.append(f"<{name}>{escape(value)}</{name}>" * 2)
        else:
            parts.append(f"<{name}/>")
    xml = "<xml>" + "".join(parts) + "</xml>"
    return draw(
        st.one_of(
            st.just(xml),
            st.just(xml).map(lambda x: x[: len(x) // 2]),
            st.sampled_from(["", "<xml/>", "<xml></xml>", "<a/>", "<xml>", "not xml", "<?xml version='1.0'?>"]),
            st.just('<!DOCTYPE x [<!ENTITY e "e">]><xml>&e;</xml>'),
            st.text(CHAR, max_size=100),
        )
    )


def wechat_body(xml: str, encoding: str) -> bytes:
    return xml.encode(encoding, "replace") if encoding != "raw" else xml.encode("utf-8", "surrogatepass")


@FUZZ
@given(params=PARAMS, raw=RAW_QUERY, body=st.binary(max_size=500), echostr=SHORT_TEXT)
def test_the_wechat_callback_never_fails_unsigned(client: TestClient, params, raw, body, echostr) -> None:
    assert_no_server_error(client.get("/wechat", params=params))
    assert_no_server_error(client.get(f"/wechat?{raw}"))
    assert_no_server_error(client.post("/wechat", params=params, content=body))
    assert_no_server_error(client.post(f"/wechat?{raw}", content=body))
    query = signed_query("1357924680")  # the URL check: a valid signature echoes whatever echostr is
    verified = client.get("/wechat", params={**query, "echostr": echostr})
    assert verified.status_code == 200 and verified.text == echostr


@FUZZ
@given(
    xml=wechat_xml(),
    encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "raw"]),
    nonce=st.one_of(st.just("1357924680"), SHORT_TEXT),
    follow=st.sampled_from(["1", "2", "9", "更多", "", "转人工"]),
    extra=st.dictionaries(st.sampled_from(["encrypt_type", "msg_signature", "openid"]), SHORT_TEXT, max_size=2),
)
def test_the_wechat_callback_never_fails_on_signed_xml(
    client: TestClient, xml: str, encoding: str, nonce: str, follow: str, extra
) -> None:
    response = client.post("/wechat", params=signed_query(nonce), content=wechat_body(xml, encoding))
    assert_no_server_error(response)
    # the follower's next message picks an option or a page of what was said
    text = f"<xml><ToUserName>gh</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>{int(time.time())}"
    text += (
        f"</CreateTime><MsgType>text</MsgType><Content>{escape(follow)}</Content><MsgId>{time.time_ns()}</MsgId></xml>"
    )
    assert_no_server_error(client.post("/wechat", params=signed_query("24680"), content=text.encode()))
    if extra:  # odd extra parameters beside a valid signature
        query = signed_query(nonce) | extra
        assert_no_server_error(client.post("/wechat", params=query, content=wechat_body(xml, encoding)))


@FUZZ
@given(
    xml=wechat_xml(),
    encrypt=st.sampled_from(["ours", "random", "another-appid", "another-key"]),
    garbage=st.one_of(st.binary(max_size=200).map(lambda raw: base64.b64encode(raw).decode()), SHORT_TEXT),
    nonce=st.one_of(st.just("246813579"), SHORT_TEXT),
)
def test_the_wechat_callback_never_fails_in_safe_mode(
    safe_client: TestClient, xml: str, encrypt: str, garbage: str, nonce: str
) -> None:
    stamp = str(int(time.time()))
    plain = xml.encode("utf-8", "replace").decode("utf-8")
    if encrypt == "random":
        encrypted = garbage
    else:
        key = AES_KEY if encrypt != "another-key" else AES_KEY[::-1]
        appid = APPID if encrypt != "another-appid" else "wxffffffffffffffff"
        envelope = xmltodict.parse(WeChatCrypto(TOKEN, key, appid).encrypt_message(plain, "1", stamp))["xml"]
        encrypted = envelope["Encrypt"]
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    query = signed_query(nonce, stamp) | {"encrypt_type": "aes", "msg_signature": sign(TOKEN, stamp, nonce, encrypted)}
    response = safe_client.post("/wechat", params=query, content=body.encode("utf-8", "surrogatepass"))
    assert_no_server_error(response)
    # the same callback in plain text, which safe mode refuses
    assert_no_server_error(safe_client.post("/wechat", params=signed_query(nonce, stamp), content=plain.encode()))
