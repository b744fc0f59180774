"""The window-staff pages: ``/staff`` (search as you type) and ``/staff/items/{id}`` (whole guide + wizard)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import KnowledgeDep, LookupDep, PagesDep
from assistant.dialogue.links import notice_path
from knowledge.checklist import build_notice, questions_of
from knowledge.glossary import ELEMENTS
from knowledge.schema import Bundle, Item

router = APIRouter(prefix="/staff", tags=["staff"])

SEARCH_LIMIT = 50


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
    lookup: LookupDep,
    pages: PagesDep,
    q: str = Query("", max_length=100),
    department: str = Query("", max_length=200),
) -> Response:
    """The search page; without JavaScript the form submits here and the results are rendered on the server."""
    hits = lookup.search(q, department=department or None)
    return pages.render(
        request,
        "staff.html",
        {
            "q": q,
            "department": department,
            "departments": lookup.departments(),
            "hits": hits[:SEARCH_LIMIT],
            "count": len(hits),
            "limit": SEARCH_LIMIT,
        },
    )


@router.get("/items/{item_id}", summary="Staff lookup: the whole guide with a scenario wizard (HTML)")
def staff_item(item_id: str, request: Request, knowledge: KnowledgeDep, pages: PagesDep) -> Response:
    """Every element grouped as on a government portal, and the wizard that builds the 一次性告知单."""
    catalogue = knowledge.catalogue
    entry = catalogue.get(item_id)
    if entry is None:
        return pages.error(request, 404, pages.replies("page_no_entry", id=item_id[:100]))
    context = {
        "entry": entry,
        "questions": questions_of(catalogue, entry),
        "notice_url": notice_path(entry.id),
        "region_note": pages.region_note(catalogue),
        "labels": ELEMENTS,
    }
    if isinstance(entry, Bundle):
        members = catalogue.members(entry)
        context |= {"members": members, "base": build_notice(catalogue, entry.id)}
        return pages.render(request, "staff_bundle.html", context)
    context |= {"scenarios": material_scenarios(entry), "unknown": {ELEMENTS.get(k, k) for k in entry.unknown}}
    return pages.render(request, "staff_item.html", context)
