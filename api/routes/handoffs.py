"""Human handoff: the clerks' inbox and replies, the citizen's message stream (owned by the handoff work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
