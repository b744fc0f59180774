"""``POST /api/v1/ask``: answer one question from the guides (the contract of ``assistant ask --json``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import KnowledgeDep
from assistant.qa import Answer

router = APIRouter(prefix="/api/v1", tags=["ask"])


class AskRequest(BaseModel):
    """A question as typed, and optionally the item the conversation is about."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=1000, description="问题，例如“身份证丢了咋办”", examples=["身份证丢了咋办"])
    context_item: str | None = Field(
        default=None, max_length=200, description="对话中已确定的事项名称（追问“那要多少钱”时使用）"
    )

    @field_validator("query", "context_item", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        """A lone surrogate (a JSON escape such as ``\\ud800``, which no UTF-8 text holds) read as U+FFFD: the
        question is answered, not refused as undecodable."""
        if isinstance(value, str):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value


@router.post(
    "/ask",
    summary="Answer a question from the service guides",
    response_model=Answer,
    responses={503: {"description": "The knowledge base is still loading."}},
)
def ask(body: AskRequest, knowledge: KnowledgeDep) -> Answer:
    """The answer, its item and element, confidence and candidates; ``kind`` says whether it is an answer,
    a clarifying question, out of scope, or an empty question."""
    return knowledge.qa.ask(body.query, context_item=body.context_item)
