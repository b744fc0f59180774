"""好差评 through the application: the widget's ``POST /api/v1/feedback``, a WeChat follower's 好评 / 差评 over signed
XML, and both in the editors' analytics (JSON, CSV and the page), which clerks cannot read and every reading of
which is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmltodict
from fastapi.testclient import TestClient
from feedback_doubles import ID_CARD, OPENID, PASSWORD, RatedChat, feedback_app, signed_query, text_xml
from sqlalchemy import select

from api.wechat import REPLY_LIMIT_BYTES, utf8_len
from assistant.console import audit, feedback, messages, staff
from assistant.console.db import Database
from assistant.console.models import Feedback
from knowledge.catalogue import Catalogue

HINT = "满意请回复“好评”，不满意请回复“差评”。"


@pytest.fixture
def chat() -> RatedChat:
    return RatedChat()


@pytest.fixture
def client(bundled: Catalogue, tmp_path: Path, chat: RatedChat) -> Iterator[TestClient]:
    with TestClient(feedback_app(bundled, tmp_path, chat)) as test_client:
        yield test_client


def _db(client: TestClient) -> Database:
    return client.app.state.assistant.console  # type: ignore[attr-defined]


def _ask(client: TestClient, message: str, sender_id: str | None = None) -> dict:
    response = client.post("/api/v1/chat", json={"message": message, "sender_id": sender_id})
    assert response.status_code == 200, response.text
    return response.json()


def _rate(client: TestClient, sender_id: str, message_id: str, rating: str, **extra):
    return client.post(
        "/api/v1/feedback", json={"sender_id": sender_id, "message_id": message_id, "rating": rating, **extra}
    )


def _login(client: TestClient, role: str) -> None:
    name = f"{role}-lin"
    if name not in {member.username for member in staff.list_users(_db(client))}:
        staff.add_user(_db(client), name, role, PASSWORD)
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text


def _wechat(client: TestClient, content: str) -> str:
    response = client.post("/wechat", params=signed_query(), content=text_xml(content))
    assert response.status_code == 200, response.text
    return xmltodict.parse(response.text)["xml"]["Content"]


# -- the widget's ratings ------------------------------------------------------------------------------------------


def test_answers_carry_a_message_id_and_say_whether_they_can_be_rated(client: TestClient) -> None:
    answer, offer = _ask(client, "身份证丢了怎么办")["messages"]
    assert answer["message_id"] and answer["rateable"] is True
    assert offer["message_id"] and offer["rateable"] is False  # the checklist offer answers nothing
    (notice,) = _ask(client, "生成材料清单")["messages"]
    assert notice["link"] and notice["rateable"] is True


def test_a_good_and_a_bad_rating_with_its_reason_are_stored_with_what_was_answered(client: TestClient) -> None:
    turn = _ask(client, "身份证丢了怎么办")
    sender, answer = turn["sender_id"], turn["messages"][0]
    good = _rate(client, sender, answer["message_id"], "good")
    assert good.status_code == 200 and good.json() == {
        "message_id": answer["message_id"], "rating": "good", "reason": None, "replaced": False
    }  # fmt: skip
    notice = _ask(client, "生成材料清单", sender)["messages"][0]
    bad = _rate(client, sender, notice["message_id"], "bad", reason="wrong", text="地址写错了，手机13912345678")
    assert bad.status_code == 200 and bad.json()["reason"] == "wrong"
    row = feedback.rating_of(_db(client), notice["message_id"])
    assert row is not None
    assert (row.rating, row.reason, row.item_id, row.guide_version) == ("bad", "wrong", ID_CARD, "2026-11-02")
    assert row.question == "生成材料清单" and row.answer.startswith("居民身份证补领 一次性告知单")
    assert row.text == "地址写错了，手机***********" and row.channel == "web"


def test_a_second_rating_replaces_the_first(client: TestClient) -> None:
    turn = _ask(client, "身份证丢了怎么办")
    sender, message_id = turn["sender_id"], turn["messages"][0]["message_id"]
    assert _rate(client, sender, message_id, "bad", reason="unclear").json()["replaced"] is False
    again = _rate(client, sender, message_id, "good")
    assert again.status_code == 200 and again.json()["replaced"] is True
    row = feedback.rating_of(_db(client), message_id)
    assert row is not None and (row.rating, row.reason) == ("good", None)


def test_only_the_conversation_the_message_was_sent_to_can_rate_it(client: TestClient) -> None:
    turn = _ask(client, "身份证丢了怎么办")
    message_id = turn["messages"][0]["message_id"]
    someone_else = _ask(client, "你好")["sender_id"]  # another person's signed id
    forged = "w." + "A" * 24 + "." + "B" * 22  # the shape of an id, not signed by this server
    for sender in (someone_else, forged, "wx:" + OPENID):
        refused = _rate(client, sender, message_id, "bad", reason="wrong")
        assert refused.status_code == 404, sender
        assert "no assistant message" in refused.json()["detail"]
    assert feedback.rating_of(_db(client), message_id) is None


def test_an_unknown_message_or_the_persons_own_message_is_a_404(client: TestClient) -> None:
    sender = _ask(client, "身份证丢了怎么办")["sender_id"]
    assert _rate(client, sender, "no-such-message", "good").status_code == 404
    own = messages.after(_db(client), sender)[0]
    assert own.author == "person"
    assert _rate(client, sender, own.message_id, "good").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "excellent"}, "rating"),
        ({"rating": "bad", "reason": "too_long"}, "reason"),
        ({"rating": "bad", "text": "长" * 2001}, "text"),
        ({"rating": "good", "reason": "wrong"}, "a reason goes with a bad rating only"),
    ],
)
def test_ratings_the_widget_never_sends_are_422_with_what_is_wrong(client: TestClient, body: dict, field: str) -> None:
    turn = _ask(client, "身份证丢了怎么办")
    response = client.post(
        "/api/v1/feedback",
        json={"sender_id": turn["sender_id"], "message_id": turn["messages"][0]["message_id"], **body},
    )
    assert response.status_code == 422 and field in response.json()["detail"]


# -- WeChat --------------------------------------------------------------------------------------------------------


def test_a_wechat_answer_ends_with_how_to_rate_it_and_a_question_back_does_not(client: TestClient) -> None:
    reply = _wechat(client, "身份证丢了怎么办")
    assert reply.endswith(HINT)
    assert "1. 办理地点" in reply  # the options keep their numbers; the rating is in words
    question = _wechat(client, "办证")
    assert "1. 身份证" in question and HINT not in question
    assert _wechat(client, "今天天气如何").endswith(HINT)  # a refusal can be rated: 没回答我的问题


def test_a_long_wechat_answer_with_the_hint_stays_within_the_byte_limit(client: TestClient) -> None:
    reply = _wechat(client, "身份证材料要长的完整版")
    assert utf8_len(reply) <= REPLY_LIMIT_BYTES and reply.endswith(HINT)
    assert "更多" in reply


def test_wechat_good_rating_rates_the_latest_answer(client: TestClient) -> None:
    _wechat(client, "身份证丢了怎么办")
    assert _wechat(client, "好评") == "感谢您的评价！您可以继续提问。"
    (row,) = _ratings(client)
    assert (row.rating, row.channel, row.item_id, row.sender_id) == ("good", "wechat", ID_CARD, "wx:" + OPENID)


def test_wechat_bad_rating_then_a_numbered_reason_that_is_not_an_option(client: TestClient, chat: RatedChat) -> None:
    first = _wechat(client, "身份证丢了怎么办")
    assert "1. 办理地点" in first
    reasons = _wechat(client, "差评")
    assert "1. 没回答我的问题" in reasons and "2. 信息有误" in reasons and "4. 其他" in reasons
    assert utf8_len(reasons) <= REPLY_LIMIT_BYTES
    sent_before = len(chat.calls)
    assert _wechat(client, "2") == "已记下您的意见，感谢您帮助我们改进。您可以继续提问，或回复“转人工”。"
    assert len(chat.calls) == sent_before  # "2" was the reason, never the answer's option 2 (办理时限)
    (row,) = _ratings(client)
    assert (row.rating, row.reason) == ("bad", "wrong")
    _wechat(client, "1")  # the reasons are answered: a number is the person's text again
    assert chat.calls[-1] == ("wx:" + OPENID, "1")


def test_wechat_other_reason_with_a_comment_and_a_number_beyond_the_reasons(client: TestClient) -> None:
    _wechat(client, "生成材料清单")
    _wechat(client, "差评")
    assert "1 到 4" in _wechat(client, "7")
    _wechat(client, "4 电话打不通，身份证号11010519491231002X")
    (row,) = _ratings(client)
    assert (row.rating, row.reason) == ("bad", "other")
    assert row.text == "电话打不通，身份证号******************"


def test_wechat_rating_without_an_answer_to_rate_says_so(client: TestClient, chat: RatedChat) -> None:
    assert "暂时没有可以评价的回答" in _wechat(client, "好评")
    assert chat.calls == [] and _ratings(client) == []


def _ratings(client: TestClient) -> list[Feedback]:
    with _db(client).session() as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))


# -- analytics -----------------------------------------------------------------------------------------------------


def test_ratings_from_both_channels_appear_in_analytics(client: TestClient) -> None:
    turn = _ask(client, "身份证丢了怎么办")
    assert _rate(client, turn["sender_id"], turn["messages"][0]["message_id"], "good").status_code == 200
    _wechat(client, "身份证补办要带什么")
    _wechat(client, "差评")
    _wechat(client, "1")
    _login(client, "editor")
    figures = client.get("/api/v1/analytics/summary").json()
    (item,) = figures["satisfaction"]["by_item"]
    assert item == {"item_id": ID_CARD, "name": "居民身份证补领", "good": 1, "bad": 1, "share": 0.5}
    assert figures["satisfaction"]["by_channel"]["web"]["good"] == 1
    assert figures["satisfaction"]["by_channel"]["wechat"]["bad"] == 1
    assert figures["satisfaction"]["reasons"]["not_answered"] == 1
    assert figures["questions"]["by_channel"] == {"web": 1, "wechat": 1}  # 差评 and its reason are not questions
    wechat_only = client.get("/api/v1/analytics/summary", params={"channel": "wechat"}).json()
    assert wechat_only["satisfaction"]["by_item"][0]["good"] == 0


def test_analytics_as_csv_and_as_a_page(client: TestClient) -> None:
    _wechat(client, "身份证丢了怎么办")
    _wechat(client, "好评")
    _login(client, "editor")
    export = client.get("/api/v1/analytics/export.csv", params={"channel": "wechat"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["metric", "key", "label", "value"]
    assert ["satisfaction_by_item_good", ID_CARD, "居民身份证补领", "1"] in rows
    page = client.get("/console/analytics", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "统计分析" in page.text and "居民身份证补领" in page.text and "<svg" in page.text
    assert "/api/v1/analytics/export.csv?from=" in page.text
    actions = [(e.action, e.target) for e in audit.entries(_db(client)) if e.action == "analytics.read"]
    assert sorted(actions) == [("analytics.read", "export.csv"), ("analytics.read", "page")]


def test_bad_dates_are_422_with_a_message_on_the_api_and_the_page(client: TestClient) -> None:
    _login(client, "editor")
    refused = client.get("/api/v1/analytics/summary", params={"from": "2026-13-01"})
    assert refused.status_code == 422 and "YYYY-MM-DD" in refused.json()["detail"]
    assert client.get("/api/v1/analytics/summary", params={"from": "2026-11-30", "to": "2026-11-01"}).status_code == 422
    assert client.get("/api/v1/analytics/export.csv", params={"channel": "weibo"}).status_code == 422
    page = client.get("/console/analytics", params={"from": "yesterday"}, headers={"accept": "text/html"})
    assert page.status_code == 422 and "起始日期应写作" in page.text


def test_a_clerk_cannot_read_analytics_and_nobody_logged_out_can(client: TestClient) -> None:
    assert client.get("/api/v1/analytics/summary").status_code == 401
    page = client.get("/console/analytics", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login?next=")
    _login(client, "clerk")
    for path in ("/api/v1/analytics/summary", "/api/v1/analytics/export.csv"):
        assert client.get(path).status_code == 403
    assert client.get("/console/analytics", headers={"accept": "text/html"}).status_code == 403
    assert not [e for e in audit.entries(_db(client)) if e.action == "analytics.read"]
