"""What the 好差评 and analytics tests share: a scripted dialogue whose answers say what they answered (``meta``, as
the Rasa actions do), the real application over it with its own data directory, signed WeChat callbacks, and a
logged-in member of staff."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from app_doubles import CatalogueHolder
from fastapi import FastAPI

from api.app import create_app
from api.dialogue import BotMessage, Button
from api.settings import ServerSettings, Settings, WeChatSettings
from assistant.serving.settings import PathSettings
from knowledge.catalogue import Catalogue

ID_CARD = "resident-id-card-reissue"  # 居民身份证补领 in the bundled catalogue
PASSWORD = "a long passphrase"
WECHAT_TOKEN = "zwzs-feedback-token"
ACCOUNT = "gh_0123456789ab"
OPENID = "oFeedbackFollower_0123456789"


class RatedChat:
    """A stand-in for the dialogue: 身份证 questions are answered about 居民身份证补领 (materials, with follow-up
    buttons), 清单 gets its 告知单 with a link, 长 a long answer, 办证 a question back; anything else is refused.
    Every message carries the ``meta`` the actions send, so the real :class:`api.conversations.RecordingDialogue`
    stores what it answered."""

    LONG = "\n".join(
        f"{n}. 申请材料第 {n} 项：居民户口簿原件及复印件，近期免冠彩色照片（现场采集）。" for n in range(1, 41)
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def ready(self) -> bool:
        return True

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        about = {"item_id": ID_CARD, "version": "2026-11-02", "confidence": 0.9}
        if "清单" in message:
            return [
                BotMessage(
                    text="居民身份证补领 一次性告知单\n1. 居民户口簿（原件）",
                    link=f"/notice/{ID_CARD}",
                    meta={**about, "outcome": "notice"},
                )
            ]
        if message == "办证":
            return [
                BotMessage(
                    text="请问您要办理哪种证件？",
                    buttons=[Button(title="身份证", payload="身份证"), Button(title="护照", payload="护照")],
                    meta={"outcome": "clarify"},
                )
            ]
        if "长" in message:
            return [BotMessage(text=self.LONG, meta={**about, "outcome": "answer", "element": "materials"})]
        if "身份证" in message:
            return [
                BotMessage(
                    text="补领居民身份证，请带居民户口簿到户籍所在地派出所办理。",
                    buttons=[
                        Button(title="办理地点", payload='/ask_element{"element":"location"}'),
                        Button(title="办理时限", payload='/ask_element{"element":"time_limit"}'),
                    ],
                    meta={**about, "outcome": "answer", "element": "materials"},
                ),
                BotMessage(text="需要为您生成材料清单吗？"),  # the offer: no meta, nothing to rate
            ]
        return [BotMessage(text="抱歉，这个问题不在我能解答的范围内。", meta={"outcome": "out_of_scope"})]


def feedback_app(catalogue: Catalogue, data_dir: Path, chat: RatedChat | None = None, port: int = 8000) -> FastAPI:
    """The application over ``catalogue`` and a :class:`RatedChat`, its database in ``data_dir``, its WeChat channel
    configured (no customer-service API reachable: answers here are passive)."""
    settings = Settings(
        server=ServerSettings(port=port),
        paths=PathSettings(data_dir=data_dir),
        wechat=WeChatSettings(token=WECHAT_TOKEN, api_url="http://127.0.0.1:9/", reply_deadline=3.0),
    )
    return create_app(settings, holder=CatalogueHolder(catalogue), dialogue=chat or RatedChat())


def signed_query(timestamp: int | None = None, nonce: str = "8642097531") -> dict[str, str]:
    """WeChat's query: sha1 of the sorted token, timestamp and nonce."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hashlib.sha1("".join(sorted([WECHAT_TOKEN, stamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce, "openid": OPENID}


_msg_ids = iter(range(61_000_000_000_000_000, 62_000_000_000_000_000))


def text_xml(content: str, openid: str = OPENID) -> bytes:
    """A follower's text message as WeChat posts it (each with a new MsgId)."""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{next(_msg_ids)}</MsgId></xml>"
    ).encode()
