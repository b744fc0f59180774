"""Conversations are kept CONVERSATION_RETENTION_DAYS (default 180) and no longer: old tracker events are deleted
from Rasa's SQL tracker store (SQLite or PostgreSQL), a conversation that goes on keeps its recent session."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from conftest import REPO, free_port
from pydantic import ValidationError
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select, text
from typer.testing import CliRunner

from api.settings import Settings
from assistant.cli import app
from assistant.serving.retention import enforce_retention, start_retention, tracker_database_url
from assistant.serving.settings import RetentionSettings

DAY = 86400.0
NOW = 1_750_000_000.0  # 2025-06-15

# the columns of Rasa's SQLTrackerStore.SQLEvent
metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def session(sender: str, started: float, said: str) -> list[dict]:
    """A conversation session as Rasa stores it: session start, a question, the answer."""
    rows = [
        ("action", started, "action_session_start"),
        ("session_started", started, None),
        ("action", started, "action_listen"),
        ("user", started + 1, None),
        ("bot", started + 2, None),
    ]
    return [
        {
            "sender_id": sender,
            "type_name": kind,
            "timestamp": at,
            "action_name": action,
            "data": json.dumps({"event": kind, "timestamp": at, "text": said if kind == "user" else None}),
        }
        for kind, at, action in rows
    ]


def engine_for(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def write(url: str, rows: list[dict]) -> None:
    engine = engine_for(url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(events.insert(), rows)
    engine.dispose()


def latest_session(url: str, sender: str) -> list[str]:
    """The user messages Rasa rebuilds a tracker from: events since the sender's latest session_started (all of
    them when there is none), by id (the query of SQLTrackerStore._event_query)."""
    query = text(
        "SELECT data FROM events WHERE sender_id = :s AND (timestamp >= (SELECT max(timestamp) FROM events "
        "WHERE sender_id = :s AND type_name = 'session_started') OR (SELECT max(timestamp) FROM events "
        "WHERE sender_id = :s AND type_name = 'session_started') IS NULL) ORDER BY id"
    )
    engine = engine_for(url)
    with engine.connect() as connection:
        data = [json.loads(row[0]) for row in connection.execute(query, {"s": sender})]
    engine.dispose()
    return [d["text"] for d in data if d["event"] == "user"]


def conversations() -> list[dict]:
    """Someone who came back 10 days ago, someone last seen 400 days ago, one conversation without a session
    start whose first message is 190 days old."""
    return [
        *session("returning", NOW - 200 * DAY, "去年问过"),
        *session("returning", NOW - 10 * DAY, "又来问"),
        *session("gone", NOW - 400 * DAY, "很久以前"),
        *[r for r in session("no-session", NOW - 190 * DAY, "旧消息") if r["type_name"] == "user"],
        *[r for r in session("no-session", NOW - 5 * DAY, "新消息") if r["type_name"] == "user"],
    ]


def check_retention(url: str) -> None:
    write(url, conversations())
    before = latest_session(url, "returning")
    assert enforce_retention(url, days=180, now=NOW) == 5 + 5 + 1
    assert latest_session(url, "returning") == before == ["又来问"]
    assert latest_session(url, "gone") == []
    assert latest_session(url, "no-session") == ["新消息"]
    engine = engine_for(url)
    with engine.connect() as connection:
        kept = connection.execute(select(events.c.sender_id, events.c.timestamp)).all()
    engine.dispose()
    assert sorted({s for s, _ in kept}) == ["no-session", "returning"]
    assert min(t for _, t in kept) >= NOW - 180 * DAY
    assert enforce_retention(url, days=180, now=NOW) == 0  # nothing more to do
    assert enforce_retention(url, days=7, now=NOW) == 5  # a shorter period deletes the session 10 days old


def test_sqlite_tracker_keeps_only_the_retention_period(tmp_path):
    check_retention(f"sqlite:///{tmp_path / 'tracker.db'}")


@pytest.mark.integration
def test_postgresql_tracker_keeps_only_the_retention_period(postgres):
    schema = f"retention_{uuid.uuid4().hex[:8]}"  # apart from the other tests' (and Rasa's) events table
    admin = engine_for(postgres.url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        check_retention(f"{postgres.url}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.integration
def test_postgresql_database_not_created_yet_is_nothing_to_do(postgres):
    assert enforce_retention(postgres.url.rsplit("/", 1)[0] + "/not_created_yet", days=180) == 0


def test_database_or_table_not_created_yet_is_nothing_to_do(tmp_path):
    missing = tmp_path / "rasa" / "tracker.db"
    assert enforce_retention(f"sqlite:///{missing}", days=180) == 0
    assert not missing.parent.exists()  # nothing created where Rasa will create its own
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").connect().close()
    assert empty.exists() and enforce_retention(f"sqlite:///{empty}", days=180) == 0


def test_period_of_less_than_a_day_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one day, not 0"):
        enforce_retention(f"sqlite:///{tmp_path / 'tracker.db'}", days=0)


def test_tracker_database_url_is_the_one_serve_gives_rasa(tmp_path):
    assert tracker_database_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/rasa/tracker.db"
    assert tracker_database_url(Path("var")) == f"sqlite:///{(Path('var') / 'rasa' / 'tracker.db').resolve()}"
    pg = "postgresql://rasa:s3cret@db.example:5432/rasa"
    assert tracker_database_url(tmp_path, pg) == "postgresql+psycopg://rasa:s3cret@db.example:5432/rasa"
    assert tracker_database_url(tmp_path, pg.replace("postgresql", "postgres")).startswith("postgresql+psycopg://")


def test_background_enforcement_runs_at_once_then_every_interval(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="assistant.serving.retention")
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    write(url, session("gone", 1_000_000.0, "很久以前"))
    said: list[str] = []
    passes = threading.Semaphore(0)
    stopping = threading.Event()

    def progress(line: str) -> None:
        said.append(line)
        passes.release()

    thread = start_retention(url, 180, stopping, interval_s=0.05, progress=progress)
    try:
        assert passes.acquire(timeout=10)  # the first pass, at once
        write(url, session("gone-too", 2_000_000.0, "也很久"))
        assert passes.acquire(timeout=10)  # a later pass
        zero = f"conversation retention: 0 events older than 180 days deleted from {url}"
        for _ in range(200):  # and one with nothing to delete: logged, not said
            if zero in [r.getMessage() for r in caplog.records]:
                break
            threading.Event().wait(0.05)
    finally:
        stopping.set()
        thread.join(10)
    assert not thread.is_alive() and thread.daemon and thread.name == "retention"
    assert said[:2] == ["conversation retention: 5 events older than 180 days deleted"] * 2
    logged = [r.getMessage() for r in caplog.records if r.name == "assistant.serving.retention"]
    assert f"conversation retention: 5 events older than 180 days deleted from {url}" in logged
    assert zero in logged


def test_failed_pass_is_logged_and_tried_again(caplog):
    caplog.set_level(logging.INFO, logger="assistant.serving.retention")
    stopping = threading.Event()
    url = f"postgresql://rasa:s3cret@127.0.0.1:{free_port()}/rasa"  # nothing listens there
    thread = start_retention(url, 180, stopping, interval_s=0.05)
    try:
        for _ in range(200):
            failures = [r for r in caplog.records if r.levelno == logging.WARNING]
            if len(failures) >= 2:
                break
            threading.Event().wait(0.05)
    finally:
        stopping.set()
        thread.join(10)
    assert len(failures) >= 2  # tried again: the thread survived the first failure
    message = failures[0].getMessage()
    assert message.startswith("conversation retention failed on postgresql+psycopg://rasa:***@127.0.0.1:")
    assert "s3cret" not in message


def test_settings_default_and_environment(monkeypatch):
    for name in ("CONVERSATION_RETENTION_DAYS", "LOG_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    assert (RetentionSettings().conversation_days, RetentionSettings().log_days) == (180, 190)
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "30")
    monkeypatch.setenv("LOG_RETENTION_DAYS", "365")
    assert Settings().retention == RetentionSettings(conversation_days=30, log_days=365)


def test_settings_refuse_logs_kept_less_than_six_months(monkeypatch):
    monkeypatch.setenv("LOG_RETENTION_DAYS", "179")
    with pytest.raises(ValidationError) as refused:
        RetentionSettings()
    assert (
        "LOG_RETENTION_DAYS must be at least 184: the Cybersecurity Law (网络安全法, article 21) requires "
        "operational logs to be kept for no less than six months"
    ) in str(refused.value)
    monkeypatch.setenv("LOG_RETENTION_DAYS", "184")
    assert RetentionSettings().log_days == 184


def test_settings_refuse_conversations_kept_less_than_a_day(monkeypatch):
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "0")
    with pytest.raises(ValidationError, match="conversation_retention_days"):
        RetentionSettings()


def test_cli_deletes_now_and_prints_the_count(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "60")
    db = tmp_path / "rasa" / "tracker.db"
    db.parent.mkdir()
    now = time.time()
    write(f"sqlite:///{db}", [*session("a", now - 90 * DAY, "三个月前"), *session("a", now - 40 * DAY, "四十天前")])
    runner = CliRunner()
    result = runner.invoke(app, ["retention", "--days", "100"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"0 events older than 100 days deleted from {db}"
    result = runner.invoke(app, ["retention"])  # CONVERSATION_RETENTION_DAYS
    assert result.stdout.splitlines() == [
        f"5 events older than 60 days deleted from {db}",
        "application database: 0 chat messages, 0 handoffs, 0 ratings, 0 audit entries deleted (audit log kept 190 "
        "days)",
    ]
    assert latest_session(f"sqlite:///{db}", "a") == ["四十天前"]


def test_cli_refuses_a_bad_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_RETENTION_DAYS", "30")
    result = CliRunner().invoke(app, ["retention"])
    assert result.exit_code == 2
    assert "LOG_RETENTION_DAYS must be at least 184" in result.stderr


RASA_PYTHON = REPO / ".rasa-venv" / "bin" / "python"
RASA_SCRIPT = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

db, mode, old, new = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=db)

def session(t, said):
    return [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
            ActionExecuted("action_listen", timestamp=t), UserUttered(said, timestamp=t + 1),
            BotUttered("答", timestamp=t + 2), ActionExecuted("action_listen", timestamp=t + 2)]

def said(tracker):
    return None if tracker is None else [e.text for e in tracker.events if isinstance(e, UserUttered)]

async def main():
    if mode == "write":
        await store.save(DialogueStateTracker.from_events("returning", session(old, "去年问过") + session(new, "又来问")))
        await store.save(DialogueStateTracker.from_events("gone", session(old, "很久以前")))
        return {}
    tracker = await store.retrieve("returning")
    tracker.update(UserUttered("接着问", timestamp=new + 10))
    await store.save(tracker)
    return {"latest": said(await store.retrieve("returning")), "full": said(await store.retrieve_full_tracker("returning")),
            "gone": said(await store.retrieve("gone"))}

print(json.dumps(asyncio.run(main()), ensure_ascii=False))
"""


@pytest.mark.integration
@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="no .rasa-venv (make setup)")
def test_rasa_goes_on_with_a_conversation_whose_old_events_were_deleted(tmp_path):
    db = tmp_path / "tracker.db"
    old, new = NOW - 200 * DAY, NOW - 10 * DAY

    def rasa(mode: str) -> dict:
        done = subprocess.run(
            [str(RASA_PYTHON), "-c", RASA_SCRIPT, str(db), mode, str(old), str(new)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    rasa("write")
    assert enforce_retention(f"sqlite:///{db}", days=180, now=NOW) == 6 + 6
    seen = rasa("read")
    assert seen == {"latest": ["又来问", "接着问"], "full": ["又来问", "接着问"], "gone": None}
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = 'returning'")).scalar()
    engine.dispose()
    assert stored == 6 + 1  # the recent session and the new message, nothing stored twice
