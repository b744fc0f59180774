"""The audit log: every staff action and lookup, who, when, what (等保 2.0 asks for it, kept at least six months
and exportable). Writing one never fails the action it records (logged instead).

Example:
    >>> audit.record(db, staff, "handoff.claim", target="handoff 12")      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from assistant.console.db import Database
from assistant.console.models import AuditEntry
from assistant.privacy import mask

log = logging.getLogger(__name__)

COLUMNS = ("at", "username", "role", "action", "target", "detail", "ip")


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
    db: Database, start: datetime | None = None, end: datetime | None = None, limit: int = 10_000
) -> list[AuditEntry]:
    """The entries from ``start`` (inclusive) to ``end`` (exclusive), newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    with db.session() as session:
        return list(session.scalars(query))


def to_csv(rows: Iterable[AuditEntry]) -> str:
    """The entries as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese text as such)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.at.isoformat(timespec="seconds"), *(getattr(row, c) for c in COLUMNS[1:])])
    return out.getvalue()
