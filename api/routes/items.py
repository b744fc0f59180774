"""Service items and bundles: search as you type, the whole guide, and the personalised checklist."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import KnowledgeDep, LookupDep, SettingsDep
from assistant.dialogue.links import notice_url
from knowledge.catalogue import Catalogue, Entry
from knowledge.checklist import AnswerError, Notice, build_notice
from knowledge.schema import Bundle

router = APIRouter(prefix="/api/v1/items", tags=["items"])

NOT_FOUND = {404: {"description": "No item or bundle has this id."}}


class ItemSummary(BaseModel):
    """One row of the search results."""

    id: str
    name: str
    kind: Literal["item", "bundle"]
    department: str


class ItemList(BaseModel):
    """Search results, best first; ``count`` is the number of matches before ``limit``."""

    data: list[ItemSummary]
    count: int


class ChecklistRequest(BaseModel):
    """The person's answers to the scenario questions (情形)."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="question id -> option id, or a list of option ids for a multiple-choice question",
        examples=[{"parents_married": "yes", "settle_with": "mother"}],
    )


class NoticeResponse(Notice):
    """The 一次性告知单 as data, as chat text, and the address of its printable page."""

    text: str = Field(description="the notice as plain text (Notice.to_text())")
    print_url: str = Field(description="the printable page of this notice")


def find_entry(catalogue: Catalogue, entry_id: str) -> Entry:
    """The item or bundle with this id (or exact name / unambiguous alias).

    Raises:
        HTTPException: 404 when there is none.
    """
    entry = catalogue.get(entry_id)
    if entry is None:
        raise HTTPException(404, f"no item or bundle '{entry_id[:100]}'; GET /api/v1/items lists the ids")
    return entry


def entry_json(entry: Entry) -> dict[str, Any]:
    """An item or bundle as JSON, with ``kind``."""
    return {**entry.model_dump(mode="json"), "kind": "bundle" if isinstance(entry, Bundle) else "item"}


@router.get("", summary="Search items and bundles by name, alias or pinyin", response_model=ItemList)
def list_items(
    lookup: LookupDep,
    q: str = Query("", max_length=100, description="名称、别名、拼音或拼音首字母（sfz、hz）；空：全部"),
    limit: int = Query(20, ge=1, le=100, description="最多返回多少条"),
    department: str = Query("", max_length=200, description="只看这个部门（实施主体）"),
) -> ItemList:
    """Search as you type: Chinese text, full pinyin or initials; names rank above aliases."""
    hits = lookup.search(q, department=department or None)
    return ItemList(data=[ItemSummary(**hit.to_dict()) for hit in hits[:limit]], count=len(hits))


@router.get(
    "/{item_id}",
    summary="The whole service guide of an item or bundle",
    responses={200: {"description": "The Item or Bundle model as JSON, plus `kind`."}, **NOT_FOUND},
)
def get_item(item_id: str, knowledge: KnowledgeDep) -> dict[str, Any]:
    """Every element of the guide (办事指南), as in the catalogue."""
    return entry_json(find_entry(knowledge.catalogue, item_id))


@router.post(
    "/{item_id}/checklist",
    summary="The personalised 一次性告知单 for the answers given",
    response_model=NoticeResponse,
    responses={**NOT_FOUND, 422: {"description": "An answer names an unknown question or option."}},
)
def checklist(item_id: str, body: ChecklistRequest, knowledge: KnowledgeDep, settings: SettingsDep) -> NoticeResponse:
    """The notice for these answers; ``pending`` lists the questions that apply and are still unanswered
    (a follow-up appears only once the option that opens it is chosen)."""
    entry = find_entry(knowledge.catalogue, item_id)
    try:
        notice = build_notice(knowledge.catalogue, entry.id, body.answers)
    except AnswerError as exc:
        raise HTTPException(422, str(exc)) from exc
    return NoticeResponse(
        **notice.model_dump(),
        text=notice.to_text(),
        print_url=notice_url(settings.server.public_url, entry.id, body.answers),
    )
