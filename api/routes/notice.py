"""``GET /notice/{id}``: the printable 一次性告知单 for the answers in the query string."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import KnowledgeDep, PagesDep
from assistant.dialogue.links import answers_from_query, notice_path
from knowledge.checklist import AnswerError, build_notice

router = APIRouter(tags=["notice"])


@router.get(
    "/notice/{item_id}",
    summary="The printable 一次性告知单 (HTML)",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown item id."}, 422: {"description": "An answer is not valid."}},
)
def notice_page(item_id: str, request: Request, knowledge: KnowledgeDep, pages: PagesDep) -> Response:
    """The notice laid out for A4 printing: materials table, conditions, time limit, fee, process, place and
    hours, contacts, remedies. Query parameters are the answers (``question_id=option_id``, repeated for a
    multiple choice); questions that apply but are unanswered are listed, with a form to answer them."""
    entry = knowledge.catalogue.get(item_id)
    if entry is None:
        return pages.error(request, 404, pages.replies("page_no_entry", id=item_id[:100]))
    pairs = list(request.query_params.multi_items())
    answers = answers_from_query(pairs)
    try:
        notice = build_notice(knowledge.catalogue, entry.id, answers)
    except AnswerError as exc:
        return pages.error(request, 422, pages.replies("page_bad_answer", reason=exc))
    return pages.render(
        request,
        "notice.html",
        {
            "notice": notice,
            "pairs": pairs,
            "action": notice_path(entry.id),
            "staff_url": f"/staff/items/{entry.id}",
            "region_note": pages.region_note(knowledge.catalogue),
            "printed": dt.date.today().isoformat(),
        },
    )
