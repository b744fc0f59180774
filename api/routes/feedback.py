"""好差评 ratings, the unanswered-questions queue and analytics (owned by the feedback work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
