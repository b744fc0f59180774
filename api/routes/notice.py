"""``GET /notice/{id}``: the printable 一次性告知单 for the answers in the query string."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.app import error_page
from api.deps import KnowledgeDep, TemplatesDep
from assistant.links import answers_from_query, notice_path
from knowledge.checklist import AnswerError, build_notice

router = APIRouter(tags=["notice"])


def region_note(knowledge) -> str:
    """A line saying whose local data the notice carries, and that it is fictional where it is."""
    fictional = [info.region for info in knowledge.catalogue.infos if info.fictional]
    if fictional:
        return f"本告知单中的地址、电话、时间等地方信息为{'、'.join(dict.fromkeys(fictional))}（虚构示例），仅供演示。"
    return ""


@router.get(
    "/notice/{item_id}",
    summary="The printable 一次性告知单 (HTML)",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown item id."}, 422: {"description": "An answer is not valid."}},
)
def notice_page(item_id: str, request: Request, knowledge: KnowledgeDep, templates: TemplatesDep) -> Response:
    """The notice laid out for A4 printing: materials table, conditions, time limit, fee, process, place and
    hours, contacts, remedies. Query parameters are the answers (``question_id=option_id``, repeated for a
    multiple choice); questions that apply but are unanswered are listed, with a form to answer them."""
    entry = knowledge.catalogue.get(item_id)
    if entry is None:
        return error_page(request, 404, f"没有编号为“{item_id[:100]}”的事项或一件事。")
    pairs = list(request.query_params.multi_items())
    answers = answers_from_query(pairs)
    try:
        notice = build_notice(knowledge.catalogue, entry.id, answers)
    except AnswerError as exc:
        return error_page(request, 422, f"情形回答有误：{exc}")
    return templates.TemplateResponse(
        request,
        "notice.html",
        {
            "notice": notice,
            "pairs": pairs,
            "action": notice_path(entry.id),
            "staff_url": f"/staff/items/{entry.id}",
            "region_note": region_note(knowledge),
            "printed": dt.date.today().isoformat(),
        },
    )
