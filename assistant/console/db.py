"""The application's database: SQLAlchemy 2 engine and sessions, its schema brought up to date by Alembic.

A SQLite file in the data directory (``<data dir>/console.sqlite3``) by default; the PostgreSQL of
``DATABASE_URL`` when set, the one the dialogue's tracker store uses (the console's tables have names of their
own beside Rasa's ``events``, and Alembic keeps its revision in ``console_alembic_version``). :meth:`Database.open`
migrates to the newest revision before anything reads, so an upgraded assistant upgrades its database at start;
several processes starting at once are safe on PostgreSQL (the migration holds an advisory lock).

Example:
    >>> db = Database.open(console_database_url(Path("var")))   # doctest: +SKIP
    >>> with db.session() as session:                          # doctest: +SKIP
    ...     session.add(AuditEntry(username="admin", action="login"))
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "console_alembic_version"
_MIGRATION_LOCK = 7_205_443_114  # PostgreSQL advisory lock key: one process migrates at a time


def console_database_url(data_dir: Path, database_url: str | None = None) -> str:
    """The SQLAlchemy URL of the application's database.

    Args:
        data_dir: the data directory; its ``console.sqlite3`` when ``database_url`` is None.
        database_url: ``DATABASE_URL`` (PostgreSQL), when set.

    Returns:
        ``sqlite:////abs/data_dir/console.sqlite3``, or ``database_url`` with the psycopg 3 driver.
    """
    if database_url:
        url = make_url(database_url)
        if url.drivername.split("+")[0] in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{(Path(data_dir) / 'console.sqlite3').resolve()}"


def alembic_config(connection=None) -> Config:
    """Alembic's configuration for the console's migrations (no ``alembic.ini``: the package carries them)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class Database:
    """The application's database: an engine, and sessions that commit when their block ends without error.

    Args:
        engine: a SQLAlchemy engine (:meth:`open` builds it from a URL and migrates).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> Database:
        """Connect to ``url`` and (``migrate``) upgrade its schema to the newest revision.

        Raises:
            sqlalchemy.exc.OperationalError: the database cannot be reached.
        """
        sqlite = url.startswith("sqlite")
        if sqlite and url != "sqlite://":
            Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=not sqlite, future=True)
        if sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        database = cls(engine)
        if migrate:
            database.migrate()
        return database

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (nothing to do when it is current)."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back when it raises."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the inbox's event stream) never block a writer
    # a commit does not wait for the disk (WAL keeps the file whole; a power cut may lose the last messages)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def new_revision(message: str) -> Path:
    """Write the migration that brings the newest revision to the models (Alembic's autogenerate, against a
    scratch SQLite database at the newest revision) and return its path; ``python -m assistant.console.db MESSAGE``.
    Read it before committing it: autogenerate misses renames."""
    import tempfile

    versions = MIGRATIONS / "versions"
    before = set(versions.glob("*.py"))
    number = 1 + max((int(p.name.split("_")[0]) for p in before if p.name[:4].isdigit()), default=0)
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.sqlite3")
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with engine.begin() as connection:
            command.revision(alembic_config(connection), message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
    (written,) = set(versions.glob("*.py")) - before
    return written


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit('usage: python -m assistant.console.db "what the migration does"')
    print(new_revision(sys.argv[1]))
