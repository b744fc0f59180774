"""The first chat bubble and the buttons after it, on every bundled guide (no index: milliseconds)."""

from __future__ import annotations

import pytest

from assistant.qa.compose import ELEMENT_NAMES, brief, compose, follow_ups
from assistant.replies import Replies

FIRST_BUBBLE = 250  # characters: a 375 px phone shows it without scrolling


@pytest.fixture(scope="module")
def replies() -> Replies:
    return Replies.load()


def test_every_first_bubble_fits_a_phone_and_cites_in_one_line(bundled, replies) -> None:
    for entry in [*bundled.items.values(), *bundled.bundles.values()]:
        for element in [None, *ELEMENT_NAMES]:
            text = brief(entry, element, replies)
            assert len(text) <= FIRST_BUBBLE, (entry.name, element, text)
            assert text.startswith(f"【{entry.name}】") and text.count("指南版本") == 1, (entry.name, element)


def test_the_first_bubble_names_every_material_and_the_whole_element_has_the_details(bundled, replies) -> None:
    item = bundled.get("内地居民结婚登记")
    short, whole = brief(item, "materials", replies), compose(item, "materials", replies)
    assert all(m.name in short for m in item.materials if m.base)
    assert "不需要户口簿" in whole and "不需要户口簿" not in short


def test_the_fictional_region_marker_is_said_once_per_answer(bundled, replies) -> None:
    item = bundled.get("居民身份证补领")
    for text in (brief(item, "location", replies), compose(item, None, replies), compose(item, "location", replies)):
        assert text.count("虚构示例") == 1 and text.endswith(replies("fictional_once")), text


def test_the_buttons_offer_the_whole_of_what_was_asked_then_the_next_elements(bundled, replies) -> None:
    item = bundled.get("内地居民结婚登记")
    assert [(f.element, f.label) for f in follow_ups(item, "fee", replies)] == [
        ("fee", "完整收费标准"),
        ("materials", "申请材料"),
        ("location", "办理地点"),
    ]
    # after the whole element, the others only; a bundle's next step is its checklist, not buttons
    assert "fee" not in [f.element for f in follow_ups(item, "fee", replies, whole=True)]
    assert follow_ups(bundled.get("新生儿出生一件事"), None, replies) == []


def test_asked_whether_it_can_be_done_online_the_answer_says_how_following_ones_application_included(
    bundled, replies
) -> None:
    item = bundled.get("职工基本养老保险关系转移接续")
    whole, short = compose(item, "online", replies), brief(item, "online", replies)
    assert "掌上12333全程网办" in whole and "进度查询：在同一渠道查询转移办理进度和结果" in whole
    assert "网上办理：在线申请 → 进度查询" in short  # the first bubble names the steps
    passport = bundled.get("普通护照签发")  # not done online: no steps of doing it online are offered
    assert "不能网上办理" in compose(passport, "online", replies) and "网上办理：" not in compose(
        passport, "online", replies
    )
