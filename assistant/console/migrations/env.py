"""Alembic's environment for the console's migrations: run on the connection :mod:`assistant.console.db` passes
(``config.attributes["connection"]``), or on ``sqlalchemy.url`` when run from Alembic's command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from assistant.console.db import VERSION_TABLE
from assistant.console.models import Base

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        compare_type=True,
        user_module_prefix="models.",  # the models' own column types (UtcDateTime), imported by the template
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://").connect() as fresh:
        _run(fresh)
        fresh.commit()
