"""The unanswered-questions queue: ``/console/unanswered`` (the page) and ``/api/v1/unanswered`` (the same as JSON,
the editors' decisions, the admins' reviews, exports as CSV and Excel). Editors and admins; every read and every
decision is in the audit log. See :mod:`assistant.console.unanswered` for what enters the queue and how it is
grouped, and ``knowledge/additions.py`` for where approved changes are written.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import AdminDep, EditorDep, client_ip
from api.deps import ConsoleDep, StateDep
from api.pages import Pages
from assistant.console import audit
from assistant.console import unanswered as queue_
from assistant.console.db import Database
from assistant.console.staff import Staff
from assistant.serving.knowledge import Knowledge
from knowledge.schema import FAQ

router = APIRouter(tags=["unanswered"])

PAGE_GROUPS = 200  # the page shows the most asked this many; the exports have them all
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FromQuery = Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD (Beijing time)")]
ToQuery = Annotated[str | None, Query(description="last day, YYYY-MM-DD, included (Beijing time)")]
StatusQuery = Annotated[str, Query(description="open (default), mapped, out_of_scope or all")]


Alias = Annotated[str, Field(max_length=200)]


class MapRequest(BaseModel):
    """Map a group to an item: what to add to it (the group's question as an alias when nothing is given)."""

    item_id: str = Field(min_length=1, max_length=128, description="the item's (or bundle's) id, or its exact name")
    alias: str | None = Field(None, max_length=200, description="an alias to add (default: the group's question)")
    aliases: list[Alias] = Field(default_factory=list, max_length=10, description="more aliases (chosen examples)")
    faq: FAQ | None = Field(None, description="a FAQ entry to add: question and answer")


class RejectRequest(BaseModel):
    """Why a proposal is rejected (shown to the editor)."""

    note: str = Field("", max_length=500)


def _knowledge(state: StateDep) -> Knowledge:
    current = state.knowledge.current()
    if current is None:
        raise HTTPException(
            503, "the knowledge base is still loading; try again in a few seconds", {"Retry-After": "5"}
        )
    return current


def _days(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    def day(value: str | None, name: str) -> date | None:
        if not value:
            return None
        if not _DATE.match(value):
            raise HTTPException(422, f"{name} must be a date, YYYY-MM-DD, not {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise HTTPException(422, f"{name} is not a date of the calendar: {value!r}") from None

    first, last = day(start, "from"), day(end, "to")
    if first and last and first > last:
        raise HTTPException(422, "from is after to")
    return audit.day_range(first, last)


async def _groups(
    db: Database, knowledge: Knowledge, status: str, start: str | None, end: str | None
) -> list[queue_.Group]:
    begin, finish = _days(start, end)
    try:
        return await asyncio.to_thread(
            queue_.queue, db, queue_.reader_for(knowledge), status=status, start=begin, end=finish
        )
    except queue_.QueueError as exc:
        raise HTTPException(exc.status, str(exc)) from None


async def _audit(db: Database, staff: Staff, request: Request, action: str, target: str = "", detail: str = "") -> None:
    await asyncio.to_thread(audit.record, db, staff.username, staff.role, action, target, detail, client_ip(request))


def _refused(exc: queue_.QueueError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "problems": exc.problems}, status_code=exc.status)


def _name_of(knowledge: Knowledge, entry_id: str | None) -> str | None:
    entry = knowledge.catalogue.get(entry_id) if entry_id else None
    return entry.name if entry is not None else None


def _with_names(knowledge: Knowledge, group: queue_.Group) -> dict[str, Any]:
    data = group.to_dict()
    data["items"] = [{"id": i, "name": _name_of(knowledge, i), "count": n} for i, n in group.items.items()]
    if group.last_seen is not None:
        data["last_seen_local"] = group.last_seen.astimezone(audit.CHINA).strftime("%Y-%m-%d %H:%M")
    if data["decision"] is not None:
        data["decision"]["item_name"] = _name_of(knowledge, data["decision"]["item_id"])
    return data


# -- the page ------------------------------------------------------------------------------------------------------


@router.get("/console/unanswered", include_in_schema=False, response_class=HTMLResponse)
async def page(
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    status: str = "open",
    start: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """The queue: groups with counts, examples on expand, map / out of scope, proposals to review, exports."""
    pages = Pages(state.templates, state.replies())
    knowledge = _knowledge(state)
    message = None
    try:
        groups = await _groups(db, knowledge, status, start, to)
    except HTTPException as exc:
        groups, message = [], str(exc.detail)
    waiting = await asyncio.to_thread(queue_.pending, db)
    await _audit(
        db,
        staff,
        request,
        "unanswered.read",
        "page",
        urlencode({"status": status, "from": start or "", "to": to or ""}),
    )
    query = urlencode({k: v for k, v in {"status": status, "from": start, "to": to}.items() if v})
    return pages.render(
        request,
        "console_unanswered.html",
        {
            "staff": staff,
            "active": "unanswered",
            "status": status,
            "start": start or "",
            "end": to or "",
            "message": message,
            "groups": [_with_names(knowledge, g) for g in groups[:PAGE_GROUPS]],
            "count": len(groups),
            "limit": PAGE_GROUPS,
            "pending": [
                {
                    **(row.proposal or {}),
                    "key": row.key,
                    "item_id": row.item_id,
                    "item_name": _name_of(knowledge, row.item_id),
                }
                for row in waiting
            ],
            "reasons": queue_.REASON_NAMES,
            "statuses": queue_.STATUS_NAMES,
            "states": queue_.STATE_NAMES,
            "low_confidence": queue_.LOW_CONFIDENCE,
            "query": query,
        },
    )


# -- the API -------------------------------------------------------------------------------------------------------


@router.get("/api/v1/unanswered", summary="The unanswered-questions queue, grouped")
async def groups(
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    status: StatusQuery = "open",
    start: FromQuery = None,
    to: ToQuery = None,
) -> dict[str, Any]:
    """Groups of similar questions the assistant refused, only clarified, answered with low confidence, that were
    rated 不满意 or led to a handoff: the representative question, count, examples, reasons, channels, last seen,
    and the decision. Most asked first. Editors and admins."""
    knowledge = _knowledge(state)
    found = await _groups(db, knowledge, status, start, to)
    await _audit(
        db, staff, request, "unanswered.read", "api", urlencode({"status": status, "from": start or "", "to": to or ""})
    )
    return {
        "data": [_with_names(knowledge, g) for g in found],
        "count": len(found),
        "low_confidence": queue_.LOW_CONFIDENCE,
    }


@router.get("/api/v1/unanswered/proposals", summary="Proposals waiting for an admin's review")
async def proposals(db: ConsoleDep, staff: EditorDep, state: StateDep) -> dict[str, Any]:
    """The catalogue changes editors proposed that no admin has approved or rejected yet, oldest first."""
    knowledge = _knowledge(state)
    rows = await asyncio.to_thread(queue_.pending, db)
    data = [
        {"key": r.key, "item_id": r.item_id, "item_name": _name_of(knowledge, r.item_id), "proposal": r.proposal}
        for r in rows
    ]
    return {"data": data, "count": len(data)}


async def _find(db: Database, knowledge: Knowledge, key: str) -> queue_.Group:
    try:
        return await asyncio.to_thread(queue_.find, db, queue_.reader_for(knowledge), key)
    except queue_.QueueError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.post("/api/v1/unanswered/{key}/map", summary="Map a group to an item (proposes a catalogue change)")
async def map_group(
    key: str, body: MapRequest, request: Request, db: ConsoleDep, staff: EditorDep, state: StateDep
) -> Response:
    """Propose the group's question (or the aliases given, or a FAQ entry) for the item, checked as
    ``assistant knowledge validate`` checks the catalogue; an admin other than the proposer approves it."""
    knowledge = _knowledge(state)
    group = await _find(db, knowledge, key)
    aliases = [a for a in [body.alias or "", *body.aliases] if a.strip()]
    try:
        row = await asyncio.to_thread(
            queue_.propose, db, knowledge.catalogue, group, body.item_id, staff, aliases=aliases, faq=body.faq
        )
    except queue_.QueueError as exc:
        return _refused(exc)
    proposal = row.proposal or {}
    what = "；".join([*proposal.get("aliases", []), *([body.faq.question] if body.faq else [])])
    await _audit(db, staff, request, "unanswered.map", f"unanswered {key}", f"{row.item_id}: {what}")
    return JSONResponse({"key": key, "status": row.status, "item_id": row.item_id, "proposal": proposal})


@router.post("/api/v1/unanswered/{key}/out_of_scope", summary="Mark a group out of scope")
async def mark_out_of_scope(key: str, request: Request, db: ConsoleDep, staff: EditorDep, state: StateDep) -> Response:
    """The group leaves the open queue (``?status=out_of_scope`` shows it); a pending proposal is dropped."""
    group = await _find(db, _knowledge(state), key)
    try:
        row = await asyncio.to_thread(queue_.out_of_scope, db, group, staff)
    except queue_.QueueError as exc:
        return _refused(exc)
    await _audit(db, staff, request, "unanswered.out_of_scope", f"unanswered {key}", group.question)
    return JSONResponse({"key": key, "status": row.status})


@router.post("/api/v1/unanswered/{key}/reopen", summary="Undo a decision not yet in the catalogue")
async def reopen(key: str, request: Request, db: ConsoleDep, staff: EditorDep, state: StateDep) -> Response:
    """The group is open again (its out-of-scope mark or pending proposal is dropped)."""
    group = await _find(db, _knowledge(state), key)
    try:
        await asyncio.to_thread(queue_.reopen, db, group)
    except queue_.QueueError as exc:
        return _refused(exc)
    await _audit(db, staff, request, "unanswered.reopen", f"unanswered {key}", group.question)
    return JSONResponse({"key": key, "status": "open"})


@router.post("/api/v1/unanswered/{key}/approve", summary="Approve a proposal: write it and reload the knowledge")
async def approve(key: str, request: Request, db: ConsoleDep, staff: AdminDep, state: StateDep) -> Response:
    """Admins, not the proposer. The change is written to ``additions.yaml`` of the deployment's catalogue directory
    and the knowledge reloads (the index is rebuilt: a minute for the bundled catalogue); the running knowledge
    answers meanwhile. A refused catalogue (422) leaves the file and the knowledge as they were, the reasons on
    the proposal."""
    holder = state.knowledge.holder
    if holder is None or not holder.ready:
        raise HTTPException(
            503, "the knowledge base is still loading; try again in a few seconds", {"Retry-After": "5"}
        )
    try:
        row = await asyncio.to_thread(queue_.approve, db, holder, key, staff)
    except queue_.QueueError as exc:
        await _audit(db, staff, request, "unanswered.approve.refused", f"unanswered {key}", "; ".join(exc.problems))
        return _refused(exc)
    proposal = row.proposal or {}
    await _audit(
        db, staff, request, "unanswered.approve", f"unanswered {key}", f"{row.item_id} -> {proposal.get('file')}"
    )
    return JSONResponse(
        {
            "key": key,
            "state": proposal.get("state"),
            "item_id": row.item_id,
            "file": proposal.get("file"),
            "knowledge_version": proposal.get("version"),
            "answered_now": proposal.get("answered_now"),
        }
    )


@router.post("/api/v1/unanswered/{key}/reject", summary="Reject a proposal")
async def reject(
    key: str, request: Request, db: ConsoleDep, staff: AdminDep, body: RejectRequest | None = None
) -> Response:
    """Admins. The group is open again; the rejected proposal stays on it with the note."""
    note = body.note if body else ""
    try:
        row = await asyncio.to_thread(queue_.reject, db, key, staff, note)
    except queue_.QueueError as exc:
        return _refused(exc)
    await _audit(db, staff, request, "unanswered.reject", f"unanswered {key}", note)
    return JSONResponse({"key": key, "state": (row.proposal or {}).get("state")})


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", queue_.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", queue_.to_xlsx),
}


@router.get("/api/v1/unanswered/export.{kind}", summary="The queue as CSV or as an Excel workbook")
async def export(
    kind: Literal["csv", "xlsx"],
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    status: StatusQuery = "open",
    start: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """Every group of the filter, one row each: ``export.csv`` (UTF-8 with a byte-order mark, so Excel reads the
    Chinese) or ``export.xlsx`` (one sheet)."""
    found = await _groups(db, _knowledge(state), status, start, to)
    query = urlencode({"status": status, "from": start or "", "to": to or ""})
    await _audit(db, staff, request, "unanswered.export", kind, query)
    media_type, write = EXPORTS[kind]
    return Response(
        await asyncio.to_thread(write, found),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="unanswered.{kind}"'},
    )
