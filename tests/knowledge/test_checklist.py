"""The checklist engine: the 一次性告知单 a person gets for their answers."""

from __future__ import annotations

import copy

import pytest
from conftest import BUNDLE, ITEM, NAME

from knowledge.checklist import AnswerError, build_notice
from knowledge.loader import load_catalogues


@pytest.fixture
def catalogue(write_catalogue, item_data):
    """The example item, a second item with a two-level tree sharing materials, and a bundle of both."""
    other = copy.deepcopy(item_data)
    other.update(id="temp-id-card", name="测试临时证件申领", aliases=[])
    other["materials"] = [
        item_data["materials"][0],  # household_register, shared with the first item
        {**item_data["materials"][0], "id": "photo", "name": "近期免冠彩色证件照片", "copies": 2},
        {
            "id": "loss_statement",
            "name": "遗失声明",
            "form": "原件",
            "base": False,
            "source": "申请人自备",
            "issuer": "申请人本人填写",
        },
        {
            "id": "police_report",
            "name": "报警回执",
            "form": "复印件",
            "base": False,
            "source": "政府部门核发",
            "issuer": "公安机关",
        },
    ]
    other["scenario"] = [
        {
            "id": "reason",
            "text": "为什么申领？",
            "options": [
                {"id": "lost", "label": "丢失", "add_materials": ["loss_statement"]},
                {"id": "first", "label": "首次", "remove_materials": ["photo"]},
            ],
        },
        {
            "id": "stolen",
            "text": "是否被盗？",
            "when": {"question": "reason", "options": ["lost"]},
            "options": [
                {
                    "id": "yes",
                    "label": "被盗",
                    "add_materials": ["police_report"],
                    "override_time_limit": {"amount": 5, "unit": "自然日"},
                    "note": "被盗的请先报警。",
                },
                {"id": "no", "label": "遗失"},
            ],
        },
    ]
    bundle = {**BUNDLE, "members": [NAME, "测试临时证件申领"]}
    root = write_catalogue({ITEM: item_data, "ps/temp-id-card.yaml": other}, bundles={"test-bundle.yaml": bundle})
    return load_catalogues([root], bundled=False)


def names(notice):
    return [m.name for m in notice.materials]


def test_no_answers_gives_base_materials_and_pending_questions(catalogue):
    notice = build_notice(catalogue, NAME)
    assert names(notice) == ["居民户口簿", "《居民身份证申领登记表》"]
    assert [q.id for q in notice.pending] == ["under_16", "subsistence"]
    assert not notice.complete


def test_option_adds_materials_and_fee_override(catalogue):
    notice = build_notice(catalogue, NAME, {"under_16": "yes", "subsistence": "yes"})
    assert names(notice)[2:] == [
        "监护人居民身份证",
        "监护关系证明（出生医学证明或户口簿中的亲属关系记载）",
        "最低生活保障证明或特困人员证明",
    ]
    assert notice.fee.startswith("不收费")
    assert notice.complete


def test_follow_up_is_asked_only_after_its_option(catalogue):
    first = build_notice(catalogue, "测试临时证件申领", {"reason": "first"})
    assert first.pending == []
    assert names(first) == ["居民户口簿"]  # photo waived
    lost = build_notice(catalogue, "测试临时证件申领", {"reason": "lost"})
    assert [q.id for q in lost.pending] == ["stolen"]
    stolen = build_notice(catalogue, "测试临时证件申领", {"reason": "lost", "stolen": "yes"})
    assert names(stolen) == ["居民户口簿", "近期免冠彩色证件照片", "遗失声明", "报警回执"]
    assert stolen.time_limit == "5自然日"
    assert stolen.notes == ["测试临时证件申领：被盗的请先报警。"]


def test_answer_to_a_question_that_does_not_apply_is_ignored(catalogue):
    notice = build_notice(catalogue, "测试临时证件申领", {"reason": "first", "stolen": "yes"})
    assert "报警回执" not in names(notice)
    assert notice.ignored == ["stolen"]


def test_bundle_asks_union_once_and_deduplicates_materials(catalogue):
    notice = build_notice(catalogue, "测试一件事", {"under_16": "no"})
    assert [q.id for q in notice.pending] == ["subsistence", "reason"]
    ids = [m.id for m in notice.materials]
    assert len(ids) == len(set(ids))
    household = next(m for m in notice.materials if m.id == "household_register")
    assert household.purposes == [NAME, "测试临时证件申领"]
    assert [t.item for t in notice.terms] == [NAME, "测试临时证件申领"]
    assert "用于：居民身份证首次申领、测试临时证件申领" in notice.to_text()


def test_unknown_option_is_refused_with_the_choices(catalogue):
    with pytest.raises(AnswerError, match="has no option 'maybe'; choose one of: yes, no"):
        build_notice(catalogue, NAME, {"under_16": "maybe"})


def test_unknown_question_is_refused(catalogue):
    with pytest.raises(AnswerError, match="has no question 'colour'; its questions are: under_16, subsistence"):
        build_notice(catalogue, NAME, {"colour": "red"})


def test_single_choice_takes_one_option(catalogue):
    with pytest.raises(AnswerError, match="takes exactly one option"):
        build_notice(catalogue, NAME, {"under_16": ["yes", "no"]})


def test_unknown_item(catalogue):
    with pytest.raises(KeyError):
        build_notice(catalogue, "不存在的事项")


def test_notice_text_keeps_the_order_of_a_notice(catalogue):
    text = build_notice(catalogue, NAME, {"under_16": "no", "subsistence": "no"}).to_text()
    headings = [
        "申请材料",
        "受理条件",
        "办理时限",
        "收费标准",
        "办理流程",
        "办理地点和时间",
        "咨询和投诉",
        "权利与救济",
    ]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
