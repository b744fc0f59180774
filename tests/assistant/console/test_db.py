"""The application's database: migrations create exactly the models' schema, on SQLite and on PostgreSQL, and
messages keep their conversation's order."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from assistant.console import messages
from assistant.console.db import VERSION_TABLE, Database, console_database_url
from assistant.console.models import Base


def _differences(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE, "compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migrations_build_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    db = Database.open(console_database_url(tmp_path))
    assert (tmp_path / "console.sqlite3").exists()
    assert _differences(db) == []  # a model changed without a migration fails here: `alembic revision --autogenerate`
    Database.open(console_database_url(tmp_path)).close()  # opening again migrates nothing and loses nothing
    db.close()


@pytest.mark.integration
def test_migrations_build_the_models_schema_on_postgresql(postgres) -> None:
    db = Database.open(console_database_url(Path("unused"), postgres.url))
    assert _differences(db) == []
    db.close()


def test_a_conversation_reads_back_in_order_with_unique_message_ids(tmp_path: Path) -> None:
    db = Database.open(console_database_url(tmp_path))
    first = messages.record(db, "w.a.b", "person", "身份证丢了怎么办")
    second = messages.record(
        db, "w.a.b", "assistant", "请带户口簿……", meta={"outcome": "answer", "item_id": "x", "element": "materials"}
    )
    messages.record(db, "wx:other", "person", "别人的消息")
    got = messages.after(db, "w.a.b")
    assert [m.text for m in got] == ["身份证丢了怎么办", "请带户口簿……"]
    assert got[1].outcome == "answer" and got[1].channel == "web"
    assert messages.after(db, "w.a.b", first.seq) == [second]
    assert first.message_id != second.message_id and len(first.message_id) >= 20
    assert messages.channel_of("wx:o1") == "wechat"
    db.close()
