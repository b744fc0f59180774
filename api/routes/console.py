"""The staff console's pages: login, audit log (owned by the accounts work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
