"""What the widget's browser tests share: a scripted dialogue behind the real application, served in a thread,
and Debian's Chromium (never a downloaded browser).

The scripted dialogue stands in for Rasa where the test needs to choose the server's words (options, a long
告知单, phone numbers, hostile text) or see what the widget sent (``ScriptedChat.calls``); the real stack is
``live_server``'s.
"""

from __future__ import annotations

from app_doubles import CatalogueHolder
from fastapi import FastAPI

from api.app import create_app
from api.dialogue import BotMessage, Button
from api.settings import ServerSettings, Settings
from knowledge.catalogue import Catalogue

PUBLIC_URL = "https://zwzs.example.gov.cn"
LAUNCHER = "打开政务助手，咨询办事问题"
INPUT = "输入您的问题"
LINK_NAME = "查看/打印完整告知单"

LONG_NOTICE_REQUEST = "结婚登记的完整告知单"
LONG_NOTICE = "\n".join(
    [
        "一次性告知单：内地居民结婚登记（示例）",
        "申请材料：",
        *(f"{n}. 申请材料第 {n} 项（原件，申请人自备）" for n in range(1, 16)),
        "办理地点：示例市民政局婚姻登记处（虚构示例）",
        "收费：不收费",
        *(f"权利与救济第 {n} 条：对决定不服的，可以依法申请行政复议或者提起行政诉讼。" for n in range(1, 9)),
    ]
)
HANDOFF = (
    "目前不能在线转接人工，如需人工服务，请拨打 12345 政务服务便民热线（工作日 9:00-17:00），"
    "或到示例市政务服务中心咨询。"
)
PHONES_REQUEST = "有哪些电话"
PHONES = "咨询电话：010-12345678；婚姻登记处：0755-8765 4321；客服：400-123-4567；经办人手机13912345678。<script>window.__injected = 3</script>第 20 条"


class ScriptedChat:
    """A scripted stand-in for the dialogue: two 情形 questions, then the checklist with its printable link; a long
    告知单, the human channel, phone numbers; Rasa's ``/restart`` forgets the sender's checklist (and says nothing,
    as Rasa does)."""

    CHECKLIST = (
        "居民身份证补领 一次性告知单\n"
        "申请材料：\n"
        "1. 居民户口簿（原件，申请人自备）\n"
        "2. 近期免冠彩色照片（现场采集，免提交）\n"
        "办理地点：示例市公安局人口服务窗口（虚构示例）\n"
        "收费：工本费 20 元"
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.in_checklist: set[str] = set()

    def sent(self) -> list[str]:
        """The messages received, in order."""
        return [message for _, message in self.calls]

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        self.calls.append((sender_id, message))
        if message == "/restart":
            self.in_checklist.discard(sender_id)
            return []
        if "身份证" in message:
            self.in_checklist.add(sender_id)
            return [
                BotMessage(
                    text="居民身份证丢失后，可以申请补领。\n请问您的户口在本市吗？",
                    buttons=[
                        Button(title="本市户口", payload='/answer{"residence":"local"}'),
                        Button(title="外地户口", payload='/answer{"residence":"other"}'),
                    ],
                )
            ]
        if message.startswith('/answer{"residence"'):
            return [
                BotMessage(
                    text="请问您本人能到现场办理吗？",
                    buttons=[
                        Button(title="本人办理", payload='/answer{"agent":"self"}'),
                        Button(title="委托他人", payload='/answer{"agent":"other"}'),
                    ],
                )
            ]
        if message.startswith('/answer{"agent"'):
            self.in_checklist.discard(sender_id)
            return [BotMessage(text=self.CHECKLIST, link="/notice/resident-id-card-replace?residence=local&agent=self")]
        if message == LONG_NOTICE_REQUEST:
            return [
                BotMessage(text="好的，以下是您的一次性告知单。"),
                BotMessage(text=LONG_NOTICE, link="/notice/marriage-registration"),
                BotMessage(
                    text="还想了解什么？",
                    buttons=[
                        Button(title="完整材料", payload="完整材料"),
                        Button(title="办理地点", payload="办理地点"),
                        Button(title="法律依据", payload="法律依据"),
                    ],
                ),
            ]
        if message == "转人工":
            return [BotMessage(text=HANDOFF)]
        if message == PHONES_REQUEST:
            return [BotMessage(text=PHONES)]
        if sender_id in self.in_checklist:
            return [BotMessage(text="请先回答上面的问题：请问您本人能到现场办理吗？")]
        return [BotMessage(text="抱歉，我暂时无法回答这个问题。可以拨打 12345 政务服务便民热线。")]


def scripted_app(catalogue: Catalogue, chat: ScriptedChat | None = None) -> FastAPI:
    settings = Settings(server=ServerSettings(public_url=PUBLIC_URL))
    return create_app(settings, holder=CatalogueHolder(catalogue), dialogue=chat or ScriptedChat())


def open_widget(page, base_url: str):
    """Load the demo page, open the widget with its launcher; returns the message box (focused)."""
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    page.get_by_role("button", name=LAUNCHER).click()
    box = page.get_by_role("textbox", name=INPUT)
    expect(box).to_be_focused()
    return box


def ask(page, text: str, timeout_ms: float = 15_000) -> None:
    """Type ``text`` into the open widget, send it with Enter, and wait until its answer is in."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name=INPUT)
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".zwzs-waiting")).to_have_count(0, timeout=timeout_ms)
    expect(page.get_by_role("button", name="发送")).to_be_enabled()
