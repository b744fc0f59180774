"""The WeChat official account (公众号) channel: verification, decoding, replies and late delivery.

WeChat posts each message to our callback and waits at most 5 seconds; after that it drops the connection and
retries the same message (same ``MsgId``) up to three times in about 15 seconds, then shows the user
"该公众号暂时无法提供服务". :class:`WeChatChannel` therefore:

- checks the signature (``signature`` in plaintext mode, ``msg_signature`` over the encrypted payload in safe
  mode), the timestamp's freshness, the body size and refuses DOCTYPE declarations, before anything is parsed
  or processed (wechatpy does the signing, parsing and AES, but none of these checks);
- answers every delivery of one message from one processing (:class:`Delivery`, kept in a bounded cache keyed by
  ``MsgId``, or by sender + ``CreateTime`` for events): a retry waits for the first processing within its own
  deadline and gets the same reply;
- replies passively when the dialogue answers within ``reply_deadline`` seconds, otherwise replies ``success``
  (which stops WeChat's retries) and sends the answer through the customer-service message API when it is ready
  (:class:`CustomerServiceSender`, retries with backoff);
- shows the assistant's buttons as a numbered list and turns "1" / "２" / "第二个" into that button's payload
  (:class:`ConversationMemory`, bounded, with a time to live);
- keeps a passive reply within WeChat's 2048-byte limit (:func:`format_messages`): a long answer becomes its first
  lines plus the printable notice's link, and "更多" pages through the rest;
- takes 好差评 in words, so that a rating never collides with an option's number: an answer ends "满意请回复“好评”，
  不满意请回复“差评”"; 好评 / 差评 rate the follower's latest answer, and 差评 is followed by the numbered reasons
  (1 没回答我的问题 … 4 其他), which replace the answer's options in the follower's memory, so the next "2" is a
  reason, not an option (:meth:`WeChatChannel.rate`; stored when the channel has the application's database).

Every sentence the channel says of its own (welcome, prompts, apologies, the options header, paging hints) is a
reply of ``assistant/replies.yaml`` (keys ``wechat_*``), with the contacts of the catalogue being served.

Menu CLICK events map their ``EventKey`` to a message (:data:`MENU_MESSAGES`) or a reply (:data:`MENU_REPLIES`):

=============  ================================  =====================================
EventKey       what the dialogue receives        menu label suggested
=============  ================================  =====================================
``ask``        (``wechat_ask``, no dialogue turn) 我要咨询
``checklist``  我要生成材料清单                    材料清单
``human``      转人工                             人工服务
``restart``    重新开始                           重新开始
``help``       (``wechat_welcome``, no turn)      使用帮助
=============  ================================  =====================================

Which process answers a message, each follower's last options and pages, and the late replies live in a shared
store (:mod:`api.shared`): this process's memory by default, Redis when ``REDIS_URL`` is set, so several
processes and machines serve one official account (a retry may reach any of them); with Redis the access token is
kept there too (each fetch invalidates the token before it, so processes must share one).

Example:
    >>> channel = WeChatChannel(token="token", public_url="https://zwzs.example.gov.cn")
    >>> messages = [BotMessage(text="请问是首次申领吗？", buttons=[Button(title="是", payload="/yes")])]
    >>> format_messages(messages, Replies.load()).text
    '请问是首次申领吗？\\n\\n请回复数字选择：\\n1. 是'
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import requests
from wechatpy import WeChatClient, create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import ClickEvent, SubscribeEvent, SubscribeScanEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.messages import BaseMessage, TextMessage, VoiceMessage
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.utils import WeChatSigner

from api.conversations import deliver
from api.dialogue import BotMessage, Button, Dialogue, DialogueUnavailable
from api.shared import BoundedTTLCache, MemoryStore, SharedStore
from assistant.console import feedback
from assistant.privacy import mask
from assistant.replies import Replies

if TYPE_CHECKING:
    from api.settings import WeChatSettings
    from assistant.console.db import Database

logger = logging.getLogger(__name__)

TIMESTAMP_DIGITS = 12  # seconds since 1970 for the next 30,000 years; a longer one is not a time
SENDER_PREFIX = "wx:"
"""Conversation ids of this channel are ``wx:<OpenID>``, so they never collide with the web widget's."""

REPLY_LIMIT_BYTES = 2048
"""WeChat's cap on a passive text reply's content (UTF-8 bytes)."""

MAX_BODY_BYTES = 64 * 1024
"""Real callbacks are a few hundred bytes (a text message is at most 2048 characters); anything bigger is refused."""

MENU_MESSAGES: dict[str, str] = {
    "checklist": "我要生成材料清单",
    "human": "转人工",
    "restart": "重新开始",
}
"""Menu ``EventKey`` -> the message sent to the dialogue, as if the user had typed it (what people type, not what
the assistant says: the dialogue's NLU must understand it)."""

MENU_REPLIES: dict[str, str] = {"ask": "wechat_ask", "help": "wechat_welcome"}
"""Menu ``EventKey`` -> the key of a fixed reply that needs no dialogue turn."""

MORE_WORDS = frozenset({"更多", "更多内容", "查看更多", "继续", "下一页", "more"})
"""What people type to read on (what they type, not what the assistant says)."""

_RETRYABLE_ERRCODES = frozenset({None, -1, -1000})  # HTTP errors (None) and "system busy"; others will not heal
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHOICE = re.compile(
    r"^(?:第|选|选择|选第)?([0-9]{1,2}|[一二三四五六七八九十]{1,3})(?:个|项|条|号|个选项)?[.。、,，)）]?$"
)
MAX_CHOICE = 20  # "12345" is the hotline, not an option
DELIVERY_TTL_S = 300.0  # a message's claim and reply are kept this long (WeChat retries within about 15 s)
FOLLOW_POLL_S = 0.05  # how often a retry that reached another process looks for the first one's reply
LATE_QUEUE = "wx:late"  # late replies waiting for the customer-service API (shared store)
LATE_POLL_S = 5.0


class WeChatRequestError(Exception):
    """A callback that must be refused; ``status`` is the HTTP status to answer with.

    Args:
        status: 400 (malformed), 403 (signature, timestamp or mode), 413 (too large) or 503 (not configured).
        message: what is wrong, for the operator reading the logs (WeChat shows nothing of it).
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------------------------
# Formatting: the assistant's messages -> one WeChat text within 2048 bytes


@dataclass
class FormattedReply:
    """One WeChat text and what the next message may refer to.

    Attributes:
        text: the content to send (at most the byte limit).
        buttons: the options numbered in ``text``, in order ("1" picks ``buttons[0]``).
        links: absolute addresses shown in ``text``.
        remainder: the part of the answer cut off, served when the user replies "更多".
    """

    text: str
    buttons: list[Button] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    remainder: str = ""


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes, the unit of WeChat's limit."""
    return len(text.encode("utf-8"))


def absolute_link(link: str, public_url: str) -> str:
    """A link as the user can open it: relative paths (``/notice/...``) are joined to the public address."""
    if not public_url or link.startswith(("http://", "https://")):
        return link
    return urljoin(public_url.rstrip("/") + "/", link.lstrip("/"))


def format_messages(
    messages: Sequence[BotMessage], replies: Replies, public_url: str = "", limit: int = REPLY_LIMIT_BYTES
) -> FormattedReply:
    """Join the assistant's messages into one WeChat text: texts, the notice link(s), then numbered options.

    Args:
        messages: the dialogue's answer to one user message.
        replies: the channel's sentences (options header, link label, paging hints).
        public_url: the application's public address, to make relative links absolute.
        limit: the byte limit of the text.

    Returns:
        The text, cut to its first lines when too long (with the link, and "更多" for the rest).
    """
    body = "\n\n".join(text for message in messages if (text := message.text.strip()))
    buttons = [button for message in messages for button in message.buttons]
    links: list[str] = []
    for message in messages:
        if message.link and (url := absolute_link(message.link, public_url)) not in links:
            links.append(url)
    return paginate(body, buttons, links, replies, limit)


def paginate(
    body: str, buttons: Sequence[Button], links: Sequence[str], replies: Replies, limit: int = REPLY_LIMIT_BYTES
) -> FormattedReply:
    """Fit ``body`` plus its links and options into ``limit`` bytes; what does not fit becomes the remainder.

    The links and options are kept whole (they are what the user acts on); the body is cut at a line break
    where one is near the limit, otherwise at a character.

    Args:
        body: the answer's text.
        buttons: options to number after the text.
        links: addresses to show after the text.
        replies: the channel's sentences (options header, link label, paging hints).
        limit: the byte limit.

    Returns:
        The reply; ``remainder`` is empty when everything fit.
    """
    footer = []
    if links:
        footer.append("\n".join(replies("wechat_link", url=url) for url in links))
    if buttons:
        numbered = "\n".join(f"{i}. {b.title}" for i, b in enumerate(buttons, 1))
        footer.append(replies("wechat_options") + "\n" + numbered)
    whole = "\n\n".join(part for part in [body, *footer] if part)
    if utf8_len(whole) <= limit:
        return FormattedReply(whole, list(buttons), list(links))
    hint = replies("wechat_cut_with_link" if links else "wechat_cut")
    tail = "\n".join([hint, *(["", *footer] if footer else [])])
    budget = limit - utf8_len(tail) - 1
    if budget < limit // 4:
        # options or links too long to keep whole: cut everything, keep the hint to "更多"
        hint = replies("wechat_cut")
        head, rest = _cut(whole, limit - utf8_len(hint) - 1)
        return FormattedReply(head + "\n" + hint, [], [], rest)
    head, rest = _cut(body, budget)
    return FormattedReply(head + "\n" + tail, list(buttons), list(links), rest)


def _cut(text: str, budget: int) -> tuple[str, str]:
    """Split ``text`` so that the head fits ``budget`` bytes, preferring a line break in the last third."""
    encoded = text.encode("utf-8")
    head = encoded[:budget].decode("utf-8", errors="ignore")
    newline = head.rfind("\n")
    if newline > len(head) * 2 // 3:
        head = head[:newline]
    return head.rstrip(), text[len(head) :].lstrip("\n")


def parse_choice(text: str) -> int | None:
    """The option number a reply names: "1", "１", "①", "第一个", "选2", "2." -> 1-based number, else None.

    Example:
        >>> parse_choice("第二个"), parse_choice("２"), parse_choice("身份证")
        (2, 2, None)
    """
    normalised = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    match = _CHOICE.match(normalised)
    if not match:
        return None
    token = match.group(1)
    number = int(token) if token.isdigit() else _chinese_number(token)
    return number if number is not None and 1 <= number <= MAX_CHOICE else None


def _chinese_number(token: str) -> int | None:
    if token == "十":
        return 10
    if token.startswith("十") and len(token) == 2:
        return 10 + _CHINESE_DIGITS.get(token[1], -100)
    if token.endswith("十") and len(token) == 2:
        return 10 * _CHINESE_DIGITS.get(token[0], -100)
    if len(token) == 3 and token[1] == "十":
        return 10 * _CHINESE_DIGITS.get(token[0], -100) + _CHINESE_DIGITS.get(token[2], -100)
    return _CHINESE_DIGITS.get(token) if len(token) == 1 else None


def xml_safe(text: str) -> str:
    """Content safe inside wechatpy's CDATA template: no control characters, ``]]>`` split across sections."""
    return _INVALID_XML_CHARS.sub("", text).replace("]]>", "]]]]><![CDATA[>")


# ---------------------------------------------------------------------------------------------------------------
# Per-user memory: the numbered options and the rest of a long answer


class ConversationMemory:
    """What each WeChat user's last reply offered: its numbered options, links and the text not yet shown.

    Kept in the shared store (this process's memory, or Redis when several processes serve the account, so "1" and
    "更多" work whichever process receives them), for 30 minutes by default: after expiry, "1" simply goes to the
    dialogue as text.

    Args:
        store: where the replies are kept.
        ttl: seconds a user's last reply stays answerable by number.
    """

    def __init__(self, store: SharedStore | None = None, ttl: float = 1800.0):
        self.store = store or MemoryStore()
        self.ttl = ttl

    async def remember(self, openid: str, reply: FormattedReply) -> None:
        """Keep ``reply`` as the user's last one, or forget the user when it offers nothing to refer to."""
        key = f"wx:last:{openid}"
        if reply.buttons or reply.remainder:
            data = {**vars(reply), "buttons": [button.model_dump() for button in reply.buttons]}
            await self.store.set(key, json.dumps(data, ensure_ascii=False), self.ttl)
        else:
            await self.store.delete(key)

    async def last(self, openid: str) -> FormattedReply | None:
        """The user's last reply with options or a remainder, if still remembered."""
        text = await self.store.get(f"wx:last:{openid}")
        if text is None:
            return None
        try:
            data = json.loads(text)
            data["buttons"] = [Button(**button) for button in data.get("buttons", [])]
            return FormattedReply(**data)
        except (ValueError, TypeError) as exc:  # written by another version: as if forgotten
            logger.warning("unreadable WeChat memory for %s: %s", openid, exc)
            return None


# ---------------------------------------------------------------------------------------------------------------
# The customer-service message API, for answers that missed the 5-second window


class _ApiClient(WeChatClient):
    """wechatpy's client with a configurable API address and one access-token fetch at a time.

    Each token fetch invalidates the previous token, so concurrent sends must not fetch in parallel.
    """

    def __init__(self, appid: str, secret: str, api_url: str, timeout: float, session: Any = None):
        super().__init__(appid, secret, timeout=timeout, session=session)
        self.API_BASE_URL = api_url.rstrip("/") + "/cgi-bin/"
        self._token_lock = threading.RLock()

    @property
    def access_token(self) -> str:
        with self._token_lock:
            return super().access_token

    def fetch_access_token(self) -> dict:
        # wechatpy's own fetch has a hard-coded address and no timeout
        with self._token_lock:
            response = self._http.get(
                self.API_BASE_URL + "token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                timeout=self.timeout,
            )
            return self._handle_token(response)

    def _handle_token(self, response: requests.Response) -> dict:
        if response.status_code != 200:
            raise WeChatClientException(None, f"HTTP {response.status_code}", client=self, response=response)
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self, response=response)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


class CustomerServiceSender:
    """Sends a text through the customer-service message API (客服消息), retrying transient failures.

    The access token is fetched once and reused until it expires (wechatpy's client caches it); network errors,
    HTTP errors and "system busy" (-1) are retried with exponential backoff; other error codes (invalid OpenID,
    the 48-hour window closed, quota spent) are logged and not retried.

    Args:
        appid: the official account's AppID.
        secret: its AppSecret.
        api_url: the API's address (``https://api.weixin.qq.com/``; a local fake in tests).
        attempts: tries per message.
        backoff: seconds before the second try, doubled each time.
        timeout: seconds per HTTP call.
        session: where wechatpy keeps the access token (its own memory when None; :func:`token_session` for one
            token shared by every process).

    Example:
        >>> sender = CustomerServiceSender("wx123", "secret")
        >>> await sender.send_text("oOpenId", "您的材料清单已生成……")
        True
    """

    def __init__(
        self,
        appid: str,
        secret: str,
        api_url: str = "https://api.weixin.qq.com/",
        attempts: int = 3,
        backoff: float = 1.0,
        timeout: float = 5.0,
        session: Any = None,
    ):
        self.client = _ApiClient(appid, secret, api_url, timeout, session)
        self.attempts = attempts
        self.backoff = backoff

    async def send_text(self, openid: str, content: str) -> bool:
        """Send ``content`` to ``openid``.

        Args:
            openid: the user (FromUserName of their message).
            content: the text, already within the byte limit.

        Returns:
            True when WeChat accepted it, False when every try failed or the error is permanent.
        """
        for attempt in range(1, self.attempts + 1):
            try:
                await asyncio.to_thread(self.client.message.send_text, openid, content)
                return True
            except WeChatClientException as exc:
                if exc.errcode not in _RETRYABLE_ERRCODES:
                    logger.error("customer-service message to %s refused: %s", openid, exc)
                    return False
                failure: Exception = exc
            except (requests.RequestException, ValueError) as exc:
                failure = exc
            logger.warning(
                "customer-service message to %s failed (try %d/%d): %s", openid, attempt, self.attempts, failure
            )
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        logger.error("customer-service message to %s given up after %d tries", openid, self.attempts)
        return False


class _SharedTokens(RedisStorage):
    """wechatpy's Redis session storage that never fails a send: Redis away, the token is fetched as if unknown."""

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return super().get(key, default)
        except Exception as exc:
            logger.warning("access token not read from Redis: %s", exc)
            return default

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        with contextlib.suppress(Exception):
            super().set(key, value, ttl)

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):
            super().delete(key)


def token_session(store: SharedStore) -> Any:
    """The access token's storage: in Redis when the store is (each fetch of a token invalidates the one before, so
    processes that shared none would invalidate each other's); None (wechatpy's memory) otherwise."""
    url = getattr(store, "url", None)
    if not store.shared or not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    return _SharedTokens(client, prefix="zhengwu:wechatpy")


# ---------------------------------------------------------------------------------------------------------------
# Deliveries: one processing per message, whatever the number of retries


class Delivery:
    """One incoming message's processing and the passive reply every delivery of it gets.

    The reply is decided once: the answer when it is ready in time, otherwise "" (``success``), in which case the
    answer goes out through the customer-service API when ready.
    """

    def __init__(self) -> None:
        self.reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def decide(self, content: str) -> bool:
        """Fix the passive reply; False when it was already decided (the first decision stands)."""
        if self.reply.done():
            return False
        self.reply.set_result(content)
        return True


Producer = Callable[[], Awaitable[str]]


class WeChatChannel:
    """The official account's callback logic, independent of the web framework.

    Args:
        token: the Token configured in the WeChat console (signatures).
        appid: the AppID (safe mode and the customer-service API).
        secret: the AppSecret (customer-service API); without it, late answers cannot be delivered.
        aes_key: the 43-character EncodingAESKey; when set, only safe-mode (encrypted) messages are accepted.
        public_url: the application's public address, for links in replies.
        api_url: the WeChat API address (a local fake in tests).
        reply_deadline: seconds to wait for the dialogue before replying ``success`` and answering later.
        max_clock_skew: seconds a callback's timestamp may differ from our clock.
        sender: the customer-service sender (built from ``appid``/``secret``/``api_url`` when omitted).
        replies: returns the assistant's sentences with the contacts of the catalogue being served (asked on
            every message, so a reload's contacts are used at once); the file's with default contacts when omitted.
        store: the state shared with the other processes serving the account (:mod:`api.shared`): which process
            answers a message (a retry reaching another process waits for the first one's reply), followers' last
            options and pages, late replies to send. This process's memory when omitted.
        console: the application's database, where ratings (好评 / 差评) are stored; without it, answers offer no
            rating and the words go to the dialogue.

    Example:
        >>> channel = WeChatChannel(token="token", reply_deadline=4.0)
        >>> body = await channel.receive(request.query_params, await request.body(), dialogue)
    """

    def __init__(
        self,
        token: str,
        appid: str = "",
        secret: str = "",
        aes_key: str = "",
        public_url: str = "",
        api_url: str = "https://api.weixin.qq.com/",
        reply_deadline: float = 4.0,
        max_clock_skew: float = 300.0,
        sender: CustomerServiceSender | None = None,
        replies: Callable[[], Replies] | None = None,
        store: SharedStore | None = None,
        console: Database | None = None,
    ):
        if replies is None:
            defaults = Replies.load()
            replies = lambda: defaults  # noqa: E731
        self.replies = replies
        self.token = token
        self.public_url = public_url
        self.reply_deadline = reply_deadline
        self.max_clock_skew = max_clock_skew
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.store = store or MemoryStore()
        if sender is None and appid and secret:
            sender = CustomerServiceSender(appid, secret, api_url, session=token_session(self.store))
        self.sender = sender
        self.memory = ConversationMemory(self.store)
        self.console = console
        # WeChat retries within ~15 s; five minutes covers slow answers with room to spare
        self.deliveries: BoundedTTLCache[str, Delivery] = BoundedTTLCache(ttl=DELIVERY_TTL_S, max_entries=10_000)
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def from_settings(
        cls,
        settings: WeChatSettings,
        public_url: str = "",
        replies: Callable[[], Replies] | None = None,
        store: SharedStore | None = None,
        console: Database | None = None,
    ) -> WeChatChannel:
        """Build from the settings' ``wechat`` section.

        Args:
            settings: the official account's settings.
            public_url: the application's public address, for links in replies.
            replies: returns the assistant's sentences (see the class).
            store: the state shared with other processes (see the class).
            console: the application's database, for ratings (see the class).
        """
        return cls(
            token=settings.token,
            appid=settings.appid,
            secret=settings.secret,
            aes_key=settings.aes_key or "",
            public_url=public_url,
            api_url=settings.api_url,
            reply_deadline=settings.reply_deadline,
            replies=replies,
            store=store,
            console=console,
        )

    # -- checks ---------------------------------------------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str) -> None:
        """Check WeChat's URL verification (the GET with ``echostr``; never encrypted for official accounts).

        Raises:
            WeChatRequestError: 503 when no token is configured, 403 on a bad signature or stale timestamp.
        """
        self._check_configured()
        self._check_fresh(timestamp)
        self._check_signature(signature, timestamp, nonce)

    def _check_configured(self) -> None:
        if not self.token:
            raise WeChatRequestError(503, "the WeChat channel is not configured: set WECHAT_TOKEN")

    def _check_fresh(self, timestamp: str) -> None:
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
            raise WeChatRequestError(403, "missing, non-numeric or overlong timestamp")
        skew = abs(time.time() - int(timestamp))
        if skew > self.max_clock_skew:
            raise WeChatRequestError(
                403, f"stale timestamp ({skew:.0f} s from our clock, at most {self.max_clock_skew:.0f})"
            )

    def _check_signature(self, signature: str, timestamp: str, nonce: str, *extra: str) -> None:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce, *extra)
        # wechatpy compares with `!=`; a constant-time comparison does not leak the signature's prefix
        if not hmac.compare_digest(signer.signature.encode(), (signature or "").encode()):
            raise WeChatRequestError(403, "invalid signature")

    def decode(self, query: Mapping[str, str], body: bytes) -> tuple[BaseMessage, str | None]:
        """Check a callback and parse its message.

        Args:
            query: the callback's query parameters.
            body: the raw request body.

        Returns:
            The message and, in safe mode, the nonce to encrypt the reply with (None in plaintext mode).

        Raises:
            WeChatRequestError: 403 (signature, timestamp, mode), 413 (too large), 400 (malformed).
        """
        self._check_configured()
        if len(body) > MAX_BODY_BYTES:
            raise WeChatRequestError(413, f"body of {len(body)} bytes, at most {MAX_BODY_BYTES}")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        self._check_fresh(timestamp)
        _refuse_doctype(body)
        if self.crypto is None:
            if query.get("encrypt_type", "raw") not in ("raw", ""):
                raise WeChatRequestError(400, "encrypted message but no wechat_aes_key is configured")
            self._check_signature(query.get("signature", ""), timestamp, nonce)
            return _parse(body), None
        if query.get("encrypt_type") != "aes" or not query.get("msg_signature"):
            raise WeChatRequestError(403, "safe mode is configured: expected encrypt_type=aes and msg_signature")
        envelope = _parse_xml(body)
        encrypted = envelope.get("Encrypt") if isinstance(envelope, dict) else None
        if not isinstance(encrypted, str) or not encrypted:
            raise WeChatRequestError(400, "malformed XML: safe-mode body without an <Encrypt> element")
        # msg_signature covers the encrypted payload; `signature` does not (the classic safe-mode bug)
        self._check_signature(query["msg_signature"], timestamp, nonce, encrypted)
        try:
            plain = self.crypto.decrypt_message({"Encrypt": encrypted}, query["msg_signature"], timestamp, nonce)
        except InvalidAppIdException:
            raise WeChatRequestError(403, "the message was encrypted for another AppID") from None
        except InvalidSignatureException:
            raise WeChatRequestError(403, "invalid msg_signature") from None
        except Exception as exc:
            raise WeChatRequestError(400, f"cannot decrypt the message: {type(exc).__name__}") from None
        plain_bytes = plain.encode("utf-8")
        _refuse_doctype(plain_bytes)
        return _parse(plain_bytes), nonce

    # -- processing -----------------------------------------------------------------------------------------------

    async def receive(self, query: Mapping[str, str], body: bytes, dialogue: Dialogue) -> str:
        """Check, process and answer one callback.

        Args:
            query: the callback's query parameters.
            body: the raw request body.
            dialogue: the conversation engine.

        Returns:
            The response body: the reply XML (encrypted in safe mode), or ``success`` when there is no passive
            reply (nothing to say, or the answer will come through the customer-service API).

        Raises:
            WeChatRequestError: the callback is refused; nothing was processed.
        """
        message, nonce = self.decode(query, body)
        content = await self.respond(_delivery_key(message), message.source, self._producer(message, dialogue))
        if not content:
            return "success"
        reply = create_reply(xml_safe(content), message=message, render=True)
        if self.crypto is not None and nonce is not None:
            return self.crypto.encrypt_message(reply, nonce, query.get("timestamp") or None)
        return reply

    async def respond(self, key: str, openid: str, produce: Producer) -> str:
        """The passive reply content for the delivery ``key``, processing it only on its first delivery.

        Args:
            key: the message's identity across retries (``MsgId``, or sender + CreateTime for events).
            openid: the user, for a late answer through the customer-service API.
            produce: computes the answer's text (never raises).

        Returns:
            The content to reply with, or "" for ``success``.
        """
        delivery = self.deliveries.get(key)
        if delivery is None:
            delivery = Delivery()
            self.deliveries.set(key, delivery)
            if await self.store.claim(f"wx:claim:{key}", DELIVERY_TTL_S):
                self._spawn(self._process(delivery, key, openid, produce))
            else:  # another process answers this message: its reply is ours
                self._spawn(self._follow(delivery, key))
        try:
            # a margin over the processing's own deadline, which decides first unless the loop is starved
            return await asyncio.wait_for(asyncio.shield(delivery.reply), self.reply_deadline + 0.4)
        except TimeoutError:
            delivery.decide("")
            return delivery.reply.result()

    async def _decide(self, delivery: Delivery, key: str, content: str) -> bool:
        """Fix the passive reply here and for the other processes; False when it was already decided."""
        if not delivery.decide(content):
            return False
        await self.store.set(f"wx:reply:{key}", content, DELIVERY_TTL_S)
        return True

    async def _follow(self, delivery: Delivery, key: str) -> None:
        """Wait for the reply another process decides for ``key`` (``success`` when none comes in time)."""
        deadline = time.monotonic() + self.reply_deadline
        while time.monotonic() < deadline and not delivery.reply.done():
            content = await self.store.get(f"wx:reply:{key}")
            if content is not None:
                delivery.decide(content)
                return
            await asyncio.sleep(FOLLOW_POLL_S)
        delivery.decide("")

    async def _process(self, delivery: Delivery, key: str, openid: str, produce: Producer) -> None:
        work = asyncio.ensure_future(produce())
        try:
            try:
                content = await asyncio.wait_for(asyncio.shield(work), self.reply_deadline)
            except TimeoutError:
                await self._decide(delivery, key, "")
                content = await work
        except asyncio.CancelledError:
            work.cancel()  # shut down: the shielded answer must not outlive its delivery
            delivery.decide("")
            raise
        except Exception:
            logger.exception("processing a WeChat message failed")
            content = self.replies()("wechat_busy")
        if await self._decide(delivery, key, content) or not content:
            return
        if self.sender is None:
            logger.error("late answer for %s dropped: wechat_appid / wechat_secret are not configured", openid)
            return
        late = json.dumps({"openid": openid, "content": content}, ensure_ascii=False)
        if not (self.store.shared and await self.store.push(LATE_QUEUE, late)):
            await self.sender.send_text(openid, content)

    def start(self) -> None:
        """Send the late replies queued in the shared store (by this or any other process), from a task of this
        process's loop, until :meth:`aclose`. Nothing to do when the store is this process's own."""
        if self.store.shared and self.sender is not None:
            self._spawn(self._send_late())

    async def _send_late(self) -> None:
        sender = self.sender
        assert sender is not None
        while True:
            item = await self.store.pop(LATE_QUEUE, LATE_POLL_S)
            if item is None:
                continue
            try:
                late = json.loads(item)
                await sender.send_text(late["openid"], late["content"])
            except Exception:  # one bad entry must not stop the others
                logger.exception("a queued late WeChat reply could not be sent")

    async def send_staff_message(self, sender_id: str, content: str) -> bool:
        """Send a member of staff's message (a clerk's reply during a handoff) to a follower through the
        customer-service API; WeChat accepts it only within 48 hours of the follower's last message (the caller
        checks: :func:`assistant.console.handoffs.check_reply`).

        Args:
            sender_id: the follower's conversation (``wx:<OpenID>``).
            content: the text (cut to WeChat's limit).

        Returns:
            True when WeChat accepted it, False when it refused it or could not be reached (logged).

        Raises:
            WeChatRequestError: 503, the customer-service API is not configured (``WECHAT_APPID``/``WECHAT_SECRET``).
        """
        if self.sender is None:
            raise WeChatRequestError(
                503, "the customer-service API is not configured: set WECHAT_APPID and WECHAT_SECRET"
            )
        return await self.sender.send_text(sender_id.removeprefix(SENDER_PREFIX), _cut(content, REPLY_LIMIT_BYTES)[0])

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """Answers still being computed or sent."""
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel answers still being computed or sent (at shutdown): a late answer is not sent half-way through
        stopping, and stopping does not wait for one."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _producer(self, message: BaseMessage, dialogue: Dialogue) -> Producer:
        openid = message.source

        async def fixed(key: str | None) -> str:
            return self.replies()(key) if key else ""

        if isinstance(message, TextMessage):
            return lambda: self.answer(openid, message.content or "", dialogue)
        if isinstance(message, VoiceMessage):
            recognised = (message.recognition or "").strip()
            if not recognised:
                return lambda: fixed("wechat_voice_not_recognised")
            return lambda: self.answer(openid, recognised, dialogue)
        if isinstance(message, SubscribeEvent | SubscribeScanEvent):
            return lambda: fixed("wechat_welcome")
        if isinstance(message, ClickEvent):
            key = message.key or ""
            if key in MENU_MESSAGES:
                return lambda: self.answer(openid, MENU_MESSAGES[key], dialogue)
            return lambda: fixed(MENU_REPLIES.get(key, "wechat_unknown_menu"))
        if message.type == "event":
            # unsubscribe, menu links, location reports …: nothing to say
            return lambda: fixed(None)
        return lambda: fixed("wechat_only_text_and_voice")

    async def answer(self, openid: str, text: str, dialogue: Dialogue) -> str:
        """One user message -> the reply text, using the numbered options and the rest of the last answer.

        Args:
            openid: the user.
            text: what they wrote (or said).
            dialogue: the conversation engine.

        Returns:
            The reply content (never raises: a failing dialogue gets an apology naming the hotline).
        """
        replies = self.replies()
        unmasked = text.strip()  # read for a call-back number left during a handoff, never stored
        text = mask(unmasked)  # personal numbers never reach the dialogue's store
        last = await self.memory.last(openid)
        rated = await self.rate(openid, text, last)
        if rated is not None:
            return rated
        if text.lower() in MORE_WORDS:
            if last is None or not last.remainder:
                # after the last page too: "更多" means nothing to the dialogue
                return replies("wechat_nothing_more")
            page = paginate(last.remainder, last.buttons, last.links, replies)
            await self.memory.remember(openid, page)
            return page.text
        if last is not None and last.buttons:
            choice = parse_choice(text)
            if choice is not None:
                if choice > len(last.buttons):
                    return replies("wechat_choice_out_of_range", count=len(last.buttons))
                text = last.buttons[choice - 1].payload
        try:
            messages = await deliver(dialogue, SENDER_PREFIX + openid, text, unmasked=unmasked)
        except DialogueUnavailable as exc:
            logger.error("dialogue unavailable for a WeChat message: %s", exc)
            return replies("wechat_busy")
        except Exception:
            logger.exception("dialogue failed on a WeChat message")
            return replies("wechat_busy")
        # an answer that can be rated ends with how to rate it (words: numbers are the options')
        hint = replies("wechat_rate_hint") if self.console is not None and any(m.rateable for m in messages) else ""
        limit = REPLY_LIMIT_BYTES - (utf8_len(hint) + 2 if hint else 0)
        reply = format_messages(messages, replies, self.public_url, limit)
        await self.memory.remember(openid, reply)
        if hint and reply.text:
            return f"{reply.text}\n\n{hint}"
        return reply.text or replies("wechat_no_answer")

    async def rate(self, openid: str, text: str, last: FormattedReply | None) -> str | None:
        """A rating in words: 好评 / 差评 (optionally with a comment: "差评：电话打不通") rate the follower's latest
        answer; after 差评, the reasons' numbers (and a comment after the number: "4 电话打不通"). Anything else is
        no rating (None), and goes on to the dialogue.

        Args:
            openid: the follower.
            text: what they wrote, masked.
            last: their last reply with options (the reasons after 差评), if remembered.

        Returns:
            The reply to send, or None when ``text`` is not a rating.
        """
        if self.console is None:
            return None
        replies = self.replies()
        sender_id = SENDER_PREFIX + openid
        pending = _rating_pending(last)
        picked = parse_reason(text) if pending is not None else None
        if pending is not None and picked is not None:
            number, comment = picked
            if not 1 <= number <= len(feedback.REASONS):
                return replies("wechat_choice_out_of_range", count=len(feedback.REASONS))
            reason = list(feedback.REASONS)[number - 1]
            if not await self._store_rating(sender_id, pending, feedback.BAD, reason, comment):
                return replies("wechat_busy")
            await self.memory.remember(openid, FormattedReply(""))  # the reasons are answered: forgotten
            return replies("wechat_rate_recorded")
        word = parse_rating(text)
        if word is None:
            return None
        rating, comment = word
        try:
            message_id = await asyncio.to_thread(feedback.last_rateable, self.console, sender_id)
        except Exception:
            logger.exception("the latest answer of a WeChat follower could not be read for a rating")
            return replies("wechat_busy")
        if message_id is None:
            return replies("wechat_rate_nothing")
        if not await self._store_rating(sender_id, message_id, rating, None, comment):
            return replies("wechat_busy")
        if rating == feedback.GOOD:
            return replies("wechat_rate_thanks")
        menu = [
            Button(title=name, payload=f"{RATE_REASON_PAYLOAD}{key}:{message_id}")
            for key, name in feedback.REASONS.items()
        ]
        numbered = "\n".join(f"{i}. {button.title}" for i, button in enumerate(menu, 1))
        text = "\n".join([replies("wechat_rate_reasons"), numbered, replies("wechat_rate_reasons_comment")])
        reply = FormattedReply(text, menu)
        await self.memory.remember(openid, reply)
        return reply.text

    async def _store_rating(
        self, sender_id: str, message_id: str, rating: str, reason: str | None, comment: str | None
    ) -> bool:
        assert self.console is not None
        try:
            await asyncio.to_thread(feedback.rate, self.console, sender_id, message_id, rating, reason, comment)
        except Exception:
            logger.exception("a WeChat rating could not be stored")
            return False
        return True


RATE_REASON_PAYLOAD = "\x00rate-reason:"
"""The payload of a reason in the numbered list after 差评 (``<prefix><reason>:<message id>``): never sent to the
dialogue, and no text a person types starts with a NUL."""
# what people type to rate (patterns of what they type, not what the assistant says)
_GOOD = re.compile(r"^(?:好评|满意|很满意|非常满意)$")
_BAD = re.compile(r"^(?:差评|不满意|很不满意|非常不满意)$")
_RATING_WITH_COMMENT = re.compile(r"^(?:(?P<good>好评)|差评)[\s,，:：。.．!！、;；]+(?P<comment>.+)$", re.DOTALL)
_REASON = re.compile(r"^([0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})(?:[\s.．。、,，:：)）;；]+(.*))?$", re.DOTALL)


def parse_rating(text: str) -> tuple[str, str | None] | None:
    """A rating in words: ``(rating, comment)``, or None when ``text`` is not one.

    Example:
        >>> parse_rating("好评！"), parse_rating("差评：电话打不通"), parse_rating("满意度调查怎么填")
        (('good', None), ('bad', '电话打不通'), None)
    """
    bare = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！~～")
    if _GOOD.match(bare):
        return feedback.GOOD, None
    if _BAD.match(bare):
        return feedback.BAD, None
    match = _RATING_WITH_COMMENT.match(text.strip())  # the comment kept as typed
    if match:
        return (feedback.GOOD if match.group("good") else feedback.BAD), match.group("comment").strip() or None
    return None


def parse_reason(text: str) -> tuple[int, str | None] | None:
    """A reason's number after 差评, with a comment after it: "2" -> (2, None), "4 电话打不通" -> (4, "电话打不通");
    None when ``text`` does not start with a number.

    Example:
        >>> parse_reason("２"), parse_reason("4、电话打不通"), parse_reason("身份证怎么办")
        ((2, None), (4, '电话打不通'), None)
    """
    number = parse_choice(text)  # every way of naming an option ("第二个", "选2") names a reason too
    if number is not None:
        return number, None
    match = _REASON.match(text.strip())  # the comment kept as typed
    number = parse_choice(match.group(1)) if match else None
    if match is None or number is None:
        return None
    return number, (match.group(2) or "").strip() or None


def _rating_pending(last: FormattedReply | None) -> str | None:
    """The message id whose reasons the follower was last asked for, None when their last reply was not that."""
    if last is None or not last.buttons or not last.buttons[0].payload.startswith(RATE_REASON_PAYLOAD):
        return None
    return last.buttons[0].payload.rsplit(":", 1)[-1]


def _delivery_key(message: BaseMessage) -> str:
    if message.id:
        return f"msg:{message.source}:{message.id}"
    # events have no MsgId: WeChat documents FromUserName + CreateTime as their identity
    return f"event:{message.source}:{message.time}:{getattr(message, 'event', '')}"


def _refuse_doctype(body: bytes) -> None:
    if _DOCTYPE.search(body):
        raise WeChatRequestError(400, "malformed XML: DOCTYPE and ENTITY declarations are not accepted")


def _parse_xml(body: bytes) -> Any:
    import xmltodict

    try:
        return xmltodict.parse(body.decode("utf-8"), disable_entities=True)["xml"]
    except (UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise WeChatRequestError(400, f"malformed XML: {_describe(exc)}") from None
    except Exception as exc:  # expat's ExpatError
        raise WeChatRequestError(400, f"malformed XML: {_describe(exc)}") from None


def _parse(body: bytes) -> BaseMessage:
    data = _parse_xml(body)
    if not isinstance(data, dict) or not isinstance(data.get("MsgType"), str) or not data.get("FromUserName"):
        raise WeChatRequestError(400, "malformed XML: expected <xml> with MsgType and FromUserName")
    for name, value in data.items():  # WeChat sends each field once, as text: a list or an element is not its
        if value is not None and not isinstance(value, str):
            raise WeChatRequestError(400, f"malformed XML: <{name}> repeated or holding elements")
    try:
        message = parse_message(body.decode("utf-8"))
        _ = (message.id, message.time, message.source)  # wechatpy converts fields when read: MsgId, CreateTime
    except Exception as exc:
        raise WeChatRequestError(400, f"malformed XML: {_describe(exc)}") from None
    return message


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing element {exc}"
    return str(exc) or type(exc).__name__
