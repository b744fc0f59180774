"""The window-staff pages: ``/staff`` (search as you type, recent items, the print list) and ``/staff/items/{id}``
(whole guide + wizard), and ``/staff/search``, the search the page runs as the clerk types.

They need a clerk's login (a page redirects to the login page, the search answers 401), and every request goes to
the audit log: who looked for what (the search text masked) or opened which guide.

The search reads what is typed as question answering does (the served index's normaliser: 身分证 finds the
居民身份证 items) and looks in material names too (出生医学证明 finds the items that ask for it); see
:mod:`assistant.retrieval.lookup`. Recent items and the print list live in the clerk's browser (localStorage,
``api/static/staff.js``): the server keeps no state for them.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.auth import ClerkDep, client_ip
from api.deps import ConsoleDep, KnowledgeDep, LookupDep, PagesDep
from api.notices import MAX_BATCH, tel_parts
from assistant.console import audit
from assistant.console.staff import Staff
from assistant.dialogue.links import notice_path
from knowledge.checklist import build_notice, questions_of
from knowledge.glossary import ELEMENTS
from knowledge.schema import Bundle, Item

router = APIRouter(prefix="/staff", tags=["staff"])

SEARCH_LIMIT = 50


class StaffHit(BaseModel):
    """One row of the staff search: the entry, and the material that matched when it was found by one."""

    id: str
    name: str
    kind: Literal["item", "bundle"]
    department: str
    material: str | None = Field(None, description="the material whose name matched (None: found by its name)")


class StaffHits(BaseModel):
    """Search results, best first; ``count`` is the number of matches before ``limit``."""

    data: list[StaffHit]
    count: int


def _audit(db: ConsoleDep, request: Request, member: Staff, action: str, target: str, detail: str = "") -> None:
    # the routes are synchronous (run in a worker thread): the entry is written in line
    audit.record(db, member.username, member.role, action, target, detail, client_ip(request))


def material_scenarios(item: Item) -> dict[str, list[tuple[str, str, bool]]]:
    """For each material, the scenario answers that add (True) or waive (False) it: (question, option, adds)."""
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for question in item.scenario:
        for option in question.options:
            for material_id in option.add_materials:
                out.setdefault(material_id, []).append((question.text, option.label, True))
            for material_id in option.remove_materials:
                out.setdefault(material_id, []).append((question.text, option.label, False))
    return out


@router.get("", summary="Staff lookup: search items as you type (HTML)", response_class=HTMLResponse)
def staff_search(
    request: Request,
    member: ClerkDep,
    db: ConsoleDep,
    lookup: LookupDep,
    pages: PagesDep,
    q: str = Query("", max_length=100),
    department: str = Query("", max_length=200),
) -> Response:
    """The search page; without JavaScript the form submits here and the results are rendered on the server."""
    hits = lookup.search(q, department=department or None)
    _audit(db, request, member, "staff.search", q, department)
    return pages.render(
        request,
        "staff.html",
        {
            "staff": member,
            "active": "lookup",
            "q": q,
            "department": department,
            "departments": lookup.departments(),
            "hits": hits[:SEARCH_LIMIT],
            "count": len(hits),
            "limit": SEARCH_LIMIT,
        },
    )


@router.get("/search", summary="Staff lookup: the search the page runs as the clerk types", response_model=StaffHits)
def staff_search_json(
    request: Request,
    member: ClerkDep,
    db: ConsoleDep,
    lookup: LookupDep,
    q: str = Query("", max_length=100, description="名称、别名、拼音首字母、口语或错别字、材料名称；空：全部"),
    limit: int = Query(SEARCH_LIMIT, ge=1, le=100, description="最多返回多少条"),
    department: str = Query("", max_length=200, description="只看这个部门（实施主体）"),
) -> StaffHits:
    """Like ``GET /api/v1/items``, read through the normaliser of the served index, and each row found by a
    material (not by its name) names that material."""
    hits = lookup.search(q, department=department or None)
    _audit(db, request, member, "staff.search", q, department)
    return StaffHits(data=[StaffHit(**hit.to_dict(), material=hit.material) for hit in hits[:limit]], count=len(hits))


@router.get("/items/{item_id}", summary="Staff lookup: the whole guide with a scenario wizard (HTML)")
def staff_item(
    item_id: str, request: Request, member: ClerkDep, db: ConsoleDep, knowledge: KnowledgeDep, pages: PagesDep
) -> Response:
    """Every element grouped as on a government portal, and the wizard that builds the 一次性告知单."""
    catalogue = knowledge.catalogue
    entry = catalogue.get(item_id)
    _audit(db, request, member, "staff.item", item_id, "" if entry is not None else "not found")
    if entry is None:
        return pages.error(request, 404, pages.replies("page_no_entry", id=item_id[:100]))
    context = {
        "staff": member,
        "active": "lookup",
        "entry": entry,
        "kind": "bundle" if isinstance(entry, Bundle) else "item",
        "questions": questions_of(catalogue, entry),
        "notice_url": notice_path(entry.id),
        "region_note": pages.region_note(catalogue),
        "labels": ELEMENTS,
        "tel_parts": tel_parts,
        "max_batch": MAX_BATCH,
    }
    if isinstance(entry, Bundle):
        members = catalogue.members(entry)
        context |= {"members": members, "base": build_notice(catalogue, entry.id)}
        return pages.render(request, "staff_bundle.html", context)
    context |= {"scenarios": material_scenarios(entry), "unknown": {ELEMENTS.get(k, k) for k in entry.unknown}}
    return pages.render(request, "staff_item.html", context)
