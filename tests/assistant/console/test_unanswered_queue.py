"""The unanswered-questions queue: what enters it, how similar questions group, the editors' decisions, the admins'
reviews that write ``additions.yaml`` and reload, and the exports."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from assistant.console import messages
from assistant.console import unanswered as q
from assistant.console.db import Database, console_database_url
from assistant.console.models import Feedback, Handoff, Message, utcnow
from assistant.console.staff import Staff
from assistant.qa.decision import Thresholds
from knowledge import additions
from knowledge.catalogue import BUNDLED
from knowledge.loader import load_directories

EDITOR = Staff("editor1", "editor")
ADMIN = Staff("admin1", "admin")
PLAIN = q.PlainReader()
FOOD = "food-business-licence"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(console_database_url(tmp_path))
    yield database
    database.close()


def turn(db: Database, sender: str, question: str, outcome: str, confidence: float = 0.0, item_id: str | None = None):
    """One turn: the person's message and the assistant's reply with what it answered."""
    messages.record(db, sender, "person", question)
    meta = {"outcome": outcome, "confidence": confidence, "item_id": item_id}
    return messages.record(db, sender, "assistant", f"reply to {question}", meta=meta, question=question)


def open_groups(db: Database, reader: q.Reader = PLAIN, **kwargs) -> dict[str, q.Group]:
    return {g.question: g for g in q.queue(db, reader, **kwargs)}


def test_low_confidence_is_halfway_from_the_answer_line_to_certainty() -> None:
    assert pytest.approx((Thresholds().answer + 1) / 2) == q.LOW_CONFIDENCE
    assert Thresholds().answer < q.LOW_CONFIDENCE < 1


def test_refused_clarified_unsure_badly_rated_and_handed_off_questions_enter_and_good_answers_do_not(
    db: Database,
) -> None:
    turn(db, "w.a", "开个小饭馆", "out_of_scope", 0.02)
    turn(db, "w.b", "？？", "empty")
    turn(db, "w.c", "要多少钱", "clarify")
    turn(db, "w.d", "我想办个敬老卡", "answer", 0.65, "extreme-poverty-support")
    turn(db, "w.e", "结婚登记", "answer", 0.99, "marriage-registration")
    rated = turn(db, "wx:f", "身份证丢了咋办", "answer", 0.99, "resident-id-card-reissue")
    with db.session() as session:
        session.add(
            Feedback(
                message_id=rated.message_id, sender_id="wx:f", channel="wechat", rating="bad", question="身份证丢了咋办"
            )
        )
    turn(db, "w.g", "养狗要登记吗", "answer", 0.9, "x")
    turn(db, "w.g", "转人工", "handoff")
    turn(db, "w.h", "老人坐公交卡怎么办", "answer", 0.95, "y")
    with db.session() as session:  # a handoff the clerk's side opened, with no handoff reply stored
        session.add(Handoff(sender_id="w.h", channel="web"))

    groups = open_groups(db)
    assert {question: g.reasons for question, g in groups.items()} == {
        "开个小饭馆": {"out_of_scope": 1},
        "？？": {"empty": 1},
        "要多少钱": {"clarify": 1},
        "我想办个敬老卡": {"low_confidence": 1},
        "身份证丢了咋办": {"bad_rating": 1},
        "养狗要登记吗": {"handoff": 1},
        "老人坐公交卡怎么办": {"handoff": 1},
    }
    assert groups["身份证丢了咋办"].channels == {"wechat": 1}
    assert groups["我想办个敬老卡"].items == {"extreme-poverty-support": 1}


def test_one_question_counts_once_with_all_its_reasons(db: Database) -> None:
    refused = turn(db, "w.a", "开个小饭馆", "out_of_scope")
    # a second bubble of the same turn carries the outcome too
    messages.record(db, "w.a", "assistant", "您可以拨打12345", meta={"outcome": "out_of_scope"}, question="开个小饭馆")
    with db.session() as session:
        session.add(Feedback(message_id=refused.message_id, sender_id="w.a", channel="web", rating="bad"))
    turn(db, "w.a", "转人工", "handoff")

    [group] = q.queue(db, PLAIN)
    assert group.count == 1
    assert group.reasons == {"out_of_scope": 1, "bad_rating": 1, "handoff": 1}


def test_similar_questions_form_one_group_with_counts_examples_and_channels(db: Database) -> None:
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    turn(db, "wx:b", "我想开个小饭馆", "out_of_scope")
    turn(db, "w.c", "开个小饭馆！", "out_of_scope")
    turn(db, "w.d", "开个小饭馆", "clarify")
    turn(db, "w.e", "在吗", "out_of_scope")

    groups = q.queue(db, PLAIN)
    assert [(g.question, g.count) for g in groups] == [("开个小饭馆", 4), ("在吗", 1)]
    food = groups[0]
    assert food.examples == ["开个小饭馆", "我想开个小饭馆", "开个小饭馆！"]
    assert food.channels == {"web": 3, "wechat": 1}
    assert food.reasons == {"out_of_scope": 3, "clarify": 1}
    assert food.key == q.group_key("开个小饭馆") == q.group_key("开个小饭馆！")
    assert food.to_dict()["last_seen"] is not None


def test_a_group_keeps_its_key_as_the_queue_grows(db: Database) -> None:
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    [before] = q.queue(db, PLAIN)
    turn(db, "w.b", "我想开个小饭馆", "out_of_scope")
    turn(db, "w.c", "我想开个小饭馆", "out_of_scope")
    [after] = q.queue(db, PLAIN)
    assert after.key == before.key and after.question == "开个小饭馆" and after.count == 3


def test_dates_count_only_the_questions_within_them(db: Database) -> None:
    old = turn(db, "w.a", "开个小饭馆", "out_of_scope")
    turn(db, "w.b", "开个小饭馆", "out_of_scope")
    with db.session() as session:
        session.execute(
            update(Message).where(Message.message_id == old.message_id).values(created_at=utcnow() - timedelta(days=40))
        )
    [recent] = q.queue(db, PLAIN, start=utcnow() - timedelta(days=7))
    assert recent.count == 1
    assert q.queue(db, PLAIN, end=utcnow() - timedelta(days=30))[0].count == 1
    assert q.queue(db, PLAIN, start=utcnow() + timedelta(days=1)) == []


def test_out_of_scope_leaves_the_open_queue_and_later_phrasings_join_it(db: Database) -> None:
    turn(db, "w.a", "在吗在吗", "out_of_scope")
    [group] = q.queue(db, PLAIN)
    q.out_of_scope(db, group, EDITOR)
    assert q.queue(db, PLAIN) == []
    turn(db, "w.b", "在吗在吗在吗", "out_of_scope")
    assert q.queue(db, PLAIN) == []
    [decided] = q.queue(db, PLAIN, status="out_of_scope")
    assert decided.key == group.key and decided.count == 2
    assert decided.decision is not None and decided.decision.decided_by == "editor1"
    q.reopen(db, decided)
    assert [g.key for g in q.queue(db, PLAIN)] == [group.key]


def test_an_unknown_status_is_refused(db: Database) -> None:
    with pytest.raises(q.QueueError) as refused:
        q.queue(db, PLAIN, status="closed")
    assert refused.value.status == 422


# --- proposals, reviews, the catalogue ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("unanswered") / "catalogue"
    shutil.copytree(BUNDLED, root)
    return root


class LookupHolder:
    """A knowledge holder over catalogue directories whose "answerer" finds an entry by its exact name or alias (the
    real one needs an index build; the acceptance test in tests/api/test_unanswered.py has it)."""

    def __init__(self, directories: list[Path]):
        self.directories = directories
        self.reloads = 0
        self.current = self._load()

    def _load(self):
        catalogue = load_directories(self.directories)

        def ask(question: str):
            entry = catalogue.get(question)
            return SimpleNamespace(kind="answer" if entry else "out_of_scope", item_id=entry.id if entry else None)

        return SimpleNamespace(catalogue=catalogue, version=catalogue.version(), qa=SimpleNamespace(ask=ask))

    def reload(self):
        self.current = self._load()  # raises CatalogueError and keeps the current one, as the real holder does
        self.reloads += 1
        return self.current


@pytest.fixture
def catalogue_dir(bundled_copy: Path, tmp_path: Path) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(bundled_copy, root)
    return root


def test_mapping_proposes_the_question_as_an_alias_checked_like_the_catalogue(
    db: Database, catalogue_dir: Path
) -> None:
    holder = LookupHolder([catalogue_dir])
    catalogue = holder.current.catalogue
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    [group] = q.queue(db, PLAIN)

    with pytest.raises(q.QueueError) as unknown:
        q.propose(db, catalogue, group, "no-such-item", EDITOR)
    assert unknown.value.status == 404
    with pytest.raises(q.QueueError) as named:  # another item's name: E103, as `knowledge validate` says
        q.propose(db, catalogue, group, FOOD, EDITOR, aliases=["居民身份证补领"])
    assert named.value.status == 422
    assert named.value.problems == [
        p.reason for p in additions.check(catalogue, additions.Addition(entry=FOOD, aliases=["居民身份证补领"]))
    ]
    assert "is the name of another item or bundle" in named.value.problems[0]
    with pytest.raises(q.QueueError) as lacking:  # a service catalogue.yaml says it lacks: E127
        q.propose(db, catalogue, group, FOOD, EDITOR, aliases=["工作居住证"])
    assert "uncovered" in lacking.value.problems[0]
    with pytest.raises(q.QueueError) as masked:
        q.propose(db, catalogue, group, FOOD, EDITOR, aliases=["电话***********"])
    assert "masked" in str(masked.value)
    with pytest.raises(q.QueueError) as nothing:
        q.propose(db, catalogue, group, FOOD, EDITOR, aliases=["餐饮许可证"])  # it has it already
    assert "nothing to add" in str(nothing.value)
    assert q.queue(db, PLAIN)[0].status == "open"  # nothing refused was stored

    row = q.propose(db, catalogue, group, "食品经营许可证核发", EDITOR)  # by name too
    assert row.item_id == FOOD
    assert row.proposal["aliases"] == ["开个小饭馆"] and row.proposal["state"] == "proposed"
    assert q.queue(db, PLAIN) == []
    assert [g.key for g in q.queue(db, PLAIN, status="mapped")] == [group.key]
    assert [p.key for p in q.pending(db)] == [group.key]
    assert not (catalogue_dir / additions.FILE).exists()  # nothing is written before review


def test_an_approved_proposal_is_written_and_reloaded_and_the_question_then_finds_the_item(
    db: Database, catalogue_dir: Path
) -> None:
    holder = LookupHolder([catalogue_dir])
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    [group] = q.queue(db, PLAIN)
    assert holder.current.qa.ask("开个小饭馆").kind == "out_of_scope"
    q.propose(db, holder.current.catalogue, group, FOOD, EDITOR)

    with pytest.raises(q.QueueError) as own:
        q.approve(db, holder, group.key, Staff("editor1", "admin"))
    assert own.value.status == 403
    row = q.approve(db, holder, group.key, ADMIN)

    assert row.proposal["state"] == "applied" and row.proposal["answered_now"] is True
    assert row.proposal["file"] == str(catalogue_dir / additions.FILE)
    assert holder.reloads == 1 and holder.current.qa.ask("开个小饭馆").item_id == FOOD
    written = (catalogue_dir / additions.FILE).read_text(encoding="utf-8")
    assert "entry: food-business-licence" in written and "- 开个小饭馆" in written
    assert "proposed_by: editor1" in written and "approved_by: admin1" in written
    assert f"source: 未答问题 {group.key}" in written
    # the same validation as `assistant knowledge validate`
    assert load_directories([catalogue_dir]).items[FOOD].aliases[-1] == "开个小饭馆"
    with pytest.raises(q.QueueError) as again:
        q.approve(db, holder, group.key, ADMIN)
    assert again.value.status == 409
    with pytest.raises(q.QueueError) as applied:
        q.out_of_scope(db, q.find(db, PLAIN, group.key), EDITOR)
    assert applied.value.status == 409


def test_a_refused_catalogue_leaves_the_file_and_the_knowledge_as_they_were(db: Database, catalogue_dir: Path) -> None:
    holder = LookupHolder([catalogue_dir])
    before = holder.current.version
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    [group] = q.queue(db, PLAIN)
    q.propose(db, holder.current.catalogue, group, FOOD, EDITOR)
    broken = catalogue_dir / "items" / "permits" / "drug-retail-licence.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("item_type: 行政许可", "item_type: 行政批准"), "utf-8")

    with pytest.raises(q.QueueError) as refused:
        q.approve(db, holder, group.key, ADMIN)

    assert refused.value.status == 422
    assert any("drug-retail-licence.yaml" in p and "item_type" in p for p in refused.value.problems)
    assert not (catalogue_dir / additions.FILE).exists()
    assert holder.current.version == before and holder.current.qa.ask("开个小饭馆").kind == "out_of_scope"
    [row] = [g.decision for g in q.queue(db, PLAIN, status="mapped")]
    assert row is not None and row.proposal["state"] == "refused" and row.proposal["problems"] == refused.value.problems


def test_a_rejected_proposal_reopens_the_group_with_the_note(db: Database, catalogue_dir: Path) -> None:
    holder = LookupHolder([catalogue_dir])
    turn(db, "w.a", "开个小饭馆", "out_of_scope")
    [group] = q.queue(db, PLAIN)
    q.propose(db, holder.current.catalogue, group, FOOD, EDITOR)
    q.reject(db, group.key, ADMIN, "应映射到个体工商户登记")
    [reopened] = q.queue(db, PLAIN)
    assert reopened.key == group.key and reopened.status == "open"
    assert reopened.decision is not None and reopened.decision.proposal["note"] == "应映射到个体工商户登记"
    assert q.pending(db) == []
    with pytest.raises(q.QueueError) as gone:
        q.reject(db, group.key, ADMIN)
    assert gone.value.status == 409


def test_additions_go_to_the_citys_own_catalogue_directory() -> None:
    city = Path("/srv/city-catalogue")
    assert q.target_directory([BUNDLED, city]) == city
    assert q.target_directory([BUNDLED]) == BUNDLED


# --- exports ------------------------------------------------------------------------------------------------------


def test_exports_hold_one_row_per_group_in_csv_and_excel(db: Database) -> None:
    turn(db, "wx:a", "=开个小饭馆", "out_of_scope")  # a question Excel would take for a formula
    turn(db, "w.b", "开个小饭馆", "out_of_scope")
    turn(db, "w.c", "要多少钱", "clarify")
    groups = q.queue(db, PLAIN)

    text = q.to_csv(groups)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == list(q.HEADINGS)
    assert [(row[2], row[3], row[1]) for row in table[1:]] == [
        ("'=开个小饭馆", "2", "待处理"),
        ("要多少钱", "1", "待处理"),
    ]
    assert table[1][4] == "拒答 2" and table[1][5] == "微信 1、网页 1"

    sheet = load_workbook(io.BytesIO(q.to_xlsx(groups))).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == list(q.HEADINGS)
    assert [(row[2], row[3]) for row in cells[1:]] == [("=开个小饭馆", 2), ("要多少钱", 1)]
    assert sheet["C2"].data_type == "s"  # text, never a formula


# --- the served index's reading -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_served_index_groups_rephrasings_that_share_few_characters(db: Database, holder) -> None:
    reader = q.reader_for(holder.current)
    assert isinstance(reader, q.IndexReader) and "怎么" in reader.question_words
    for sender, question in enumerate(["电动车上牌", "电瓶车上牌照", "开个小饭馆", "我想开个小饭馆", "在吗"]):
        turn(db, f"w.{sender}", question, "out_of_scope")
    groups = {g.question: g.examples for g in q.queue(db, reader)}
    assert groups == {
        "电动车上牌": ["电动车上牌", "电瓶车上牌照"],
        "开个小饭馆": ["开个小饭馆", "我想开个小饭馆"],
        "在吗": ["在吗"],
    }
    # the same questions by words alone: 电瓶车上牌照 shares too few characters with 电动车上牌
    assert len(q.queue(db, PLAIN)) == 4
