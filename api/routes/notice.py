"""The printable 一次性告知单: ``GET /notice/{id}`` (HTML), ``GET /notice/{id}.pdf`` (the same, as a PDF) and
``GET /notices/print?n=...`` (several notices in one page, each starting on a new printed page).

The answers are the query string (``question_id=option_id``, repeated for a multiple choice), as
:func:`assistant.dialogue.links.notice_path` writes it. The three routes lay out one template
(``notice.html``), so a notice prints the same from the page, the PDF and the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import KnowledgeDep, PagesDep
from api.notices import MAX_BATCH, Pairs, content_disposition, parse_notice_path, pdf_path, phone_links
from api.pages import Pages
from api.pdf import PdfUnavailable, html_to_pdf
from assistant.dialogue.links import answers_from_query, notice_path
from knowledge.catalogue import Catalogue
from knowledge.checklist import AnswerError, Notice, build_notice

log = logging.getLogger(__name__)

router = APIRouter(tags=["notice"])


class Refused(Exception):
    """A notice that cannot be made: the status and the sentence that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def make_notice(catalogue: Catalogue, pages: Pages, item_id: str, pairs: Pairs) -> Notice:
    """The notice of an item or bundle for the answers in ``pairs``.

    Raises:
        Refused: 404 for an unknown id, 422 for an answer the item cannot take.
    """
    entry = catalogue.get(item_id)
    if entry is None:
        raise Refused(404, pages.replies("page_no_entry", id=item_id[:100]))
    try:
        return build_notice(catalogue, entry.id, answers_from_query(pairs))
    except AnswerError as exc:
        raise Refused(422, pages.replies("page_bad_answer", reason=exc)) from None


def _document(notice: Notice, pairs: Pairs) -> dict[str, Any]:
    return {"notice": notice, "pairs": pairs, "action": notice_path(notice.id)}


def _context(
    catalogue: Catalogue,
    pages: Pages,
    documents: Sequence[dict[str, Any]],
    *,
    problems: Sequence[str] = (),
    pdf_url: str = "",
    staff_url: str = "",
) -> dict[str, Any]:
    return {
        "notices": list(documents),
        "problems": list(problems),
        "pdf_url": pdf_url,
        "staff_url": staff_url,
        "region_note": pages.region_note(catalogue),
        "printed": dt.date.today().isoformat(),
        "phone_links": phone_links,
    }


@router.get(
    "/notice/{item_id}.pdf",
    summary="The 一次性告知单 as a PDF (A4, Chinese fonts embedded)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The notice as a PDF attachment."},
        404: {"description": "Unknown item id (an HTML page)."},
        422: {"description": "An answer is not valid (an HTML page)."},
        503: {"description": "WeasyPrint's native libraries are missing on the server (`make pdf-libs`)."},
    },
)
def notice_pdf(item_id: str, request: Request, knowledge: KnowledgeDep, pages: PagesDep) -> Response:
    """The printable notice of ``/notice/{id}`` with the same answers, as a PDF file for staff to print or send.
    Rendered in a worker thread; the same errors as the page (404 unknown id, 422 bad answer)."""
    catalogue = knowledge.catalogue
    pairs = list(request.query_params.multi_items())
    try:
        notice = make_notice(catalogue, pages, item_id, pairs)
    except Refused as refused:
        return pages.error(request, refused.status, refused.message)
    context = _context(catalogue, pages, [_document(notice, pairs)])
    html = pages.templates.get_template("notice.html").render({**context, "request": request, "replies": pages.replies})
    try:
        pdf = html_to_pdf(html, base_url=str(request.base_url))
    except PdfUnavailable as exc:
        log.error("no PDF for %s: %s", request.url.path, exc)
        unavailable = {
            "status": 503,
            "title": pages.replies("error_title_pdf_unavailable"),
            "message": pages.replies("page_pdf_unavailable"),
        }
        return pages.render(request, "error.html", unavailable, status_code=503)
    headers = {"Content-Disposition": content_disposition(notice), "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get(
    "/notice/{item_id}",
    summary="The printable 一次性告知单 (HTML)",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown item id."}, 422: {"description": "An answer is not valid."}},
)
def notice_page(item_id: str, request: Request, knowledge: KnowledgeDep, pages: PagesDep) -> Response:
    """The notice laid out for A4 printing: materials (cards on a phone, a table on a desk and on paper),
    conditions, time limit, fee, process, place and hours, contacts, remedies. Query parameters are the answers
    (``question_id=option_id``, repeated for a multiple choice); questions that apply but are unanswered come
    first, the notice marked incomplete, with a form to answer them. Links to its PDF."""
    catalogue = knowledge.catalogue
    pairs = list(request.query_params.multi_items())
    try:
        notice = make_notice(catalogue, pages, item_id, pairs)
    except Refused as refused:
        return pages.error(request, refused.status, refused.message)
    context = _context(
        catalogue,
        pages,
        [_document(notice, pairs)],
        pdf_url=pdf_path(notice, pairs),
        staff_url=f"/staff/items/{quote(notice.id)}",
    )
    return pages.render(request, "notice.html", context)


@router.get(
    "/notices/print",
    summary="Several 一次性告知单 in one page, for printing at once (HTML)",
    response_class=HTMLResponse,
    responses={422: {"description": "No notice could be made (each problem is named on the page)."}},
)
def notices_print(
    request: Request,
    knowledge: KnowledgeDep,
    pages: PagesDep,
    n: Annotated[
        list[str] | None,
        Query(
            description="A notice's path with its answers, as `notice_path(id)` + `?` + the answers make it "
            "(`/notice/marriage-registration?previous_marriage=no`); repeat for each notice, in print order.",
        ),
    ] = None,
) -> Response:
    """Every notice named, one after the other, each starting on a new printed page, laid out as the single
    notice. A path that is not a notice's, an unknown id or a bad answer is named on the page, and the others
    are still laid out; 422 when none could be."""
    catalogue = knowledge.catalogue
    problems: list[str] = []
    documents: list[dict[str, Any]] = []
    n = n or []
    if not n:
        problems.append(pages.replies("notice_batch_empty"))
    elif len(n) > MAX_BATCH:
        problems.append(pages.replies("notice_batch_too_many", count=MAX_BATCH))
    else:
        for number, value in enumerate(n, start=1):
            parsed = parse_notice_path(value)
            try:
                if parsed is None:
                    raise Refused(422, pages.replies("notice_batch_not_notice"))
                item_id, pairs = parsed
                documents.append(_document(make_notice(catalogue, pages, item_id, pairs), pairs))
            except Refused as refused:
                problems.append(
                    pages.replies("notice_batch_problem", number=number, id=value[:200], reason=refused.message)
                )
    context = _context(catalogue, pages, documents, problems=problems)
    return pages.render(request, "notice.html", context, status_code=200 if documents else 422)
