"""The window-staff pages: ``/staff`` (search as you type) and ``/staff/items/{id}`` (whole guide + wizard)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.app import error_page
from api.deps import KnowledgeDep, LookupDep, TemplatesDep
from api.routes.notice import region_note
from assistant.links import notice_path
from knowledge.checklist import build_notice, questions_of
from knowledge.glossary import ELEMENTS
from knowledge.schema import Bundle, Item

router = APIRouter(prefix="/staff", tags=["staff"])

SEARCH_LIMIT = 50


def material_scenarios(item: Item) -> dict[str, list[str]]:
    """For each material, the scenario answers that add or waive it (``问题：选项``)."""
    out: dict[str, list[str]] = {}
    for question in item.scenario:
        for option in question.options:
            for material_id in option.add_materials:
                out.setdefault(material_id, []).append(f"{question.text}选“{option.label}”时需要")
            for material_id in option.remove_materials:
                out.setdefault(material_id, []).append(f"{question.text}选“{option.label}”时免交")
    return out


@router.get("", summary="Staff lookup: search items as you type (HTML)", response_class=HTMLResponse)
def staff_search(
    request: Request,
    lookup: LookupDep,
    templates: TemplatesDep,
    q: str = Query("", max_length=100),
    department: str = Query("", max_length=200),
) -> Response:
    """The search page; without JavaScript the form submits here and the results are rendered on the server."""
    hits = lookup.search(q, department=department or None)
    return templates.TemplateResponse(
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
def staff_item(item_id: str, request: Request, knowledge: KnowledgeDep, templates: TemplatesDep) -> Response:
    """Every element grouped as on a government portal, and the wizard that builds the 一次性告知单."""
    catalogue = knowledge.catalogue
    entry = catalogue.get(item_id)
    if entry is None:
        return error_page(request, 404, f"没有编号为“{item_id[:100]}”的事项或一件事。")
    context = {
        "entry": entry,
        "questions": questions_of(catalogue, entry),
        "notice_url": notice_path(entry.id),
        "region_note": region_note(knowledge),
        "labels": ELEMENTS,
    }
    if isinstance(entry, Bundle):
        members = catalogue.members(entry)
        context |= {"members": members, "base": build_notice(catalogue, entry.id)}
        return templates.TemplateResponse(request, "staff_bundle.html", context)
    context |= {"scenarios": material_scenarios(entry), "unknown": {ELEMENTS.get(k, k) for k in entry.unknown}}
    return templates.TemplateResponse(request, "staff_item.html", context)
