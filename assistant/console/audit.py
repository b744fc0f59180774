"""The audit log: every staff action and lookup, who, when, what (等保 2.0 asks for it, kept at least six months
and exportable). Writing one never fails the action it records (logged instead).

Example:
    >>> audit.record(db, "wang", "clerk", "handoff.claim", target="handoff 12")      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, select

from assistant.console.db import Database
from assistant.console.models import AuditEntry, utcnow
from assistant.privacy import mask
from assistant.serving.settings import MIN_LOG_RETENTION_DAYS

log = logging.getLogger(__name__)

COLUMNS = ("at", "username", "role", "action", "target", "detail", "ip")
CHINA = timezone(timedelta(hours=8), "北京时间")  # dates asked for and times shown are Beijing time (no DST)


def record(
    db: Database, username: str, role: str, action: str, target: str = "", detail: str = "", ip: str = ""
) -> None:
    """Append one entry (``detail`` masked: a clerk's search for an ID number is logged without the number)."""
    try:
        with db.session() as session:
            session.add(
                AuditEntry(
                    username=username,
                    role=role,
                    action=action,
                    target=mask(target)[:255],
                    detail=mask(detail)[:2000],
                    ip=ip[:64],
                )
            )
    except Exception:
        log.exception("audit entry not written: %s %s %s", username, action, target)


def entries(
    db: Database, start: datetime | None = None, end: datetime | None = None, limit: int | None = 10_000
) -> list[AuditEntry]:
    """The entries from ``start`` (inclusive) to ``end`` (exclusive), newest first, at most ``limit`` (None: all)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    with db.session() as session:
        return list(session.scalars(query))


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The moments from the start of day ``first`` to the end of day ``last`` (both Beijing time, both inclusive),
    for :func:`entries`; None stays open."""
    start = datetime.combine(first, time(), CHINA) if first is not None else None
    end = datetime.combine(last + timedelta(days=1), time(), CHINA) if last is not None else None
    return start, end


def prune(db: Database, days: int, now: datetime | None = None) -> int:
    """Delete the entries older than ``days`` days; returns how many went.

    Raises:
        ValueError: ``days`` under ``MIN_LOG_RETENTION_DAYS`` (the log is kept at least six months).
    """
    if days < MIN_LOG_RETENTION_DAYS:
        raise ValueError(f"the audit log is kept at least {MIN_LOG_RETENTION_DAYS} days (six months)")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.session() as session:
        return session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount


def to_csv(rows: Iterable[AuditEntry]) -> str:
    """The entries as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese text as such), times in Beijing
    time; a cell that would start a spreadsheet formula (a clerk's search for ``=HYPERLINK(…)``) starts with ``'``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = [getattr(row, column) or "" for column in COLUMNS[1:]]
        writer.writerow([row.at.astimezone(CHINA).isoformat(timespec="seconds"), *map(_inert, cells)])
    return out.getvalue()


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell
