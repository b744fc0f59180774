"""Conversation retention: tracker events older than ``CONVERSATION_RETENTION_DAYS`` (default 180) are deleted.

The dialogue's conversations live in Rasa's SQL tracker store (table ``events``: ``id``, ``sender_id``,
``type_name``, ``timestamp`` in unix seconds, ``intent_name``, ``action_name``, ``data``): a SQLite file in the data
directory, or PostgreSQL when ``DATABASE_URL`` is set (:func:`tracker_database_url` says which, for ``assistant
serve`` and ``assistant retention`` alike). :func:`enforce_retention` deletes the old rows once;
:func:`start_retention` does it at start and every six hours from a daemon thread while the assistant serves.

Deleting the old events of a conversation that goes on is safe for Rasa: it rebuilds a tracker from the events
after the conversation's latest ``session_started`` (all remaining events when there is none), and a session
expires after a day (``session_expiration_time`` in the domain), so a conversation older than the retention
period has begun a new session since, whose events are all kept; the slots carried over were copied into it.

Example:
    >>> enforce_retention(tracker_database_url(Path("var")), days=180)  # doctest: +SKIP
    42
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, Table, create_engine, delete, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from assistant.console.retention import Pruned, prune

log = logging.getLogger(__name__)

DAY_S = 86400.0
INTERVAL_S = 6 * 3600.0  # how often a serving assistant enforces the retention

_events = Table("events", MetaData(), Column("timestamp", Float))  # the one column retention reads


def tracker_database_url(data_dir: Path, database_url: str | None = None) -> str:
    """The SQLAlchemy URL of the tracker store ``assistant serve`` gives Rasa for ``data_dir``.

    Args:
        data_dir: the data directory (``ASSISTANT_DATA_DIR``); its ``rasa/tracker.db`` when ``database_url`` is None.
        database_url: ``DATABASE_URL`` (PostgreSQL), when set.

    Returns:
        ``sqlite:////abs/data_dir/rasa/tracker.db``, or ``database_url`` with the psycopg 3 driver.
    """
    if database_url:
        return _sqlalchemy_url(database_url).render_as_string(hide_password=False)
    return f"sqlite:///{(Path(data_dir) / 'rasa' / 'tracker.db').resolve()}"


def _sqlalchemy_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.drivername.split("+")[0] in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")  # the driver installed here (Rasa's own venv has psycopg2)
    return url


def enforce_retention(database_url: str, days: int, now: float | None = None) -> int:
    """Delete every tracker event whose ``timestamp`` is more than ``days`` days before ``now``.

    Args:
        database_url: the tracker store (:func:`tracker_database_url`): ``sqlite:///path`` or ``postgresql://…``
            (a bare ``postgresql://`` or ``postgres://`` is read with psycopg 3).
        days: events older than this many days are deleted (at least 1).
        now: unix time to count from (default: the current time).

    Returns:
        The number of events deleted; 0 when the database or its ``events`` table does not exist yet (nothing
        is created). Events without a timestamp are kept.

    Raises:
        ValueError: ``days`` is below 1.
        sqlalchemy.exc.OperationalError: the database cannot be reached.
    """
    if days < 1:
        raise ValueError(f"the retention period must be at least one day, not {days}")
    url = _sqlalchemy_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
            return 0  # never create an empty database where Rasa will create its own
        connect_args: dict[str, object] = {"timeout": 30}  # wait for Rasa's write lock
    else:
        connect_args = {"connect_timeout": 10}
    cutoff = (time.time() if now is None else now) - days * DAY_S
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(_events.name):
                return 0
            return connection.execute(delete(_events).where(_events.c.timestamp < cutoff)).rowcount
    except OperationalError:
        if url.get_backend_name() == "postgresql" and not _database_exists(url, connect_args):
            return 0
        raise
    finally:
        engine.dispose()


def prune_console(console_url: str, days: int, log_days: int | None = None) -> Pruned:
    """Apply the retention periods to the application's database once (:func:`assistant.console.retention.prune`);
    the audit log is kept when ``log_days`` is None."""
    from assistant.console.db import Database

    db = Database.open(console_url, migrate=False)
    try:
        return prune(db, days, log_days or 1_000_000)
    finally:
        db.close()


def _database_exists(url: URL, connect_args: dict[str, object]) -> bool:
    """Whether the PostgreSQL server at ``url`` has its database (asked of the ``postgres`` database, as libpq's
    "does not exist" comes without a SQLSTATE and in the server's language); True when that cannot be told."""
    engine = create_engine(url.set(database="postgres"), connect_args=connect_args)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
            return found.first() is not None
    except OperationalError:
        return True  # the server itself is unreachable: the caller's error says so
    finally:
        engine.dispose()


def start_retention(
    database_url: str,
    days: int,
    stopping: threading.Event,
    interval_s: float = INTERVAL_S,
    progress: Callable[[str], None] | None = None,
    console_url: str | None = None,
    log_days: int | None = None,
) -> threading.Thread:
    """Enforce the retention now and every ``interval_s`` seconds until ``stopping`` is set, in a daemon thread.

    Each pass is logged (``assistant.serving.retention``, INFO: how many events were deleted); a pass that deletes
    something is also said through ``progress``. A pass that fails (the database unreachable) is logged as a
    warning and tried again at the next interval; the thread never dies of it.

    Args:
        database_url: the tracker store (:func:`tracker_database_url`).
        days: ``CONVERSATION_RETENTION_DAYS``.
        stopping: set it to end the thread (it is waited on between passes).
        interval_s: seconds between passes.
        progress: receives a line when events were deleted.
        console_url: the application's database (:func:`assistant.console.db.console_database_url`), whose chat
            messages, handoffs and ratings go after ``days`` too, and its audit log after ``log_days``
            (:func:`assistant.console.retention.prune`).
        log_days: ``LOG_RETENTION_DAYS``, for the audit log (default: kept).

    Returns:
        The started thread (``retention``).
    """
    where = _sqlalchemy_url(database_url).render_as_string(hide_password=True)

    def run() -> None:
        while not stopping.is_set():
            try:
                deleted = enforce_retention(database_url, days)
            except Exception as exc:  # a failed pass must not end the enforcement
                log.warning("conversation retention failed on %s, tried again in %.0f s: %s", where, interval_s, exc)
            else:
                log.info("conversation retention: %d events older than %d days deleted from %s", deleted, days, where)
                if deleted and progress is not None:
                    progress(f"conversation retention: {deleted} events older than {days} days deleted")
            if console_url is not None:
                try:
                    pruned = prune_console(console_url, days, log_days)
                except Exception as exc:
                    log.warning("console retention failed, tried again in %.0f s: %s", interval_s, exc)
                else:
                    log.info("console retention: %s deleted", pruned)
                    if pruned and progress is not None:
                        progress(f"console retention: {pruned} deleted")
            if stopping.wait(interval_s):
                return

    thread = threading.Thread(target=run, name="retention", daemon=True)
    thread.start()
    return thread
