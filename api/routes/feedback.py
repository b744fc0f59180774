"""好差评 ratings (``POST /api/v1/feedback``, the widget's) and analytics for editors: the figures as JSON
(``/api/v1/analytics/summary``) and CSV (``/api/v1/analytics/export.csv``), and the page ``/console/analytics``,
its charts drawn on the server as inline SVG (no script, no CDN; they print). Every reading of analytics is in
the audit log.

WeChat followers rate by replying 好评 / 差评 (:mod:`api.wechat`); both channels' ratings land in one table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.auth import EditorDep, client_ip
from api.deps import ConsoleDep, PagesDep, SettingsDep, StateDep
from api.senders import SenderIds
from assistant.console import analytics, audit, feedback
from assistant.console.analytics import Period, PeriodError
from assistant.console.db import Database
from assistant.console.staff import Staff

router = APIRouter()

NOT_FOUND = "no assistant message with this message_id in the conversation of this sender_id"

Reason = Literal["not_answered", "wrong", "unclear", "other"]


class FeedbackRequest(BaseModel):
    sender_id: str = Field(max_length=128, description="the conversation id the chat issued (`w.<random>.<sig>`)")
    message_id: str = Field(max_length=64, description="the rated message's `message_id`, from the chat's answer")
    rating: Literal["good", "bad"] = Field(description="`good` (满意) or `bad` (不满意)")
    reason: Reason | None = Field(
        default=None,
        description="for `bad`: not_answered (没回答我的问题), wrong (信息有误), unclear (看不懂), other (其他)",
    )
    text: str | None = Field(
        default=None, max_length=2000, description=f"the person's words (masked, first {feedback.MAX_TEXT} kept)"
    )


class FeedbackResponse(BaseModel):
    message_id: str
    rating: str
    reason: str | None
    replaced: bool = Field(description="an earlier rating of this message was replaced (one rating per message)")


@router.post(
    "/api/v1/feedback",
    tags=["feedback"],
    summary="Rate an answer (好差评)",
    response_model=FeedbackResponse,
    responses={404: {"description": "No such assistant message in this sender's conversation."}},
)
async def rate(body: FeedbackRequest, db: ConsoleDep, settings: SettingsDep) -> FeedbackResponse:
    """Rate one of the assistant's messages of the conversation ``sender_id``: only the conversation the message was
    sent to can rate it (an id the server signed, the one the chat answered). A second rating of the same message
    replaces the first. Stored with the question, the answer, item, element and guide version."""
    if not SenderIds(settings.chat.secret).verify(body.sender_id):
        raise HTTPException(404, NOT_FOUND)
    try:
        rated = await asyncio.to_thread(
            feedback.rate, db, body.sender_id, body.message_id, body.rating, body.reason, body.text
        )
    except feedback.MessageNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except feedback.FeedbackError as exc:
        raise HTTPException(422, str(exc)) from None
    return FeedbackResponse(
        message_id=rated.message_id, rating=rated.rating, reason=rated.reason, replaced=rated.replaced
    )


# -- analytics -----------------------------------------------------------------------------------------------------

FromQuery = Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD (default: 29 days before to)")]
ToQuery = Annotated[str | None, Query(description="last day, YYYY-MM-DD (default: today, Asia/Shanghai)")]
ChannelQuery = Annotated[str | None, Query(description="`web` or `wechat`; empty for both")]


def _names(state: StateDep) -> Callable[[str], str | None]:
    """Item names from the catalogue being served (ids while it loads)."""
    current = state.knowledge.current()

    def name_of(item_id: str) -> str | None:
        entry = current.catalogue.get(item_id) if current is not None else None
        return entry.name if entry is not None else None

    return name_of


async def _figures(
    db: Database, staff: Staff, request: Request, period: Period, names: Callable[[str], str | None], what: str
) -> dict[str, Any]:
    figures = await asyncio.to_thread(analytics.summary, db, period, names)
    detail = urlencode(period.query())
    await asyncio.to_thread(
        audit.record, db, staff.username, staff.role, "analytics.read", what, detail, client_ip(request)
    )
    return figures


def _period(start: str | None, end: str | None, channel: str | None) -> Period:
    try:
        return Period.parse(start, end, channel)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/v1/analytics/summary", tags=["analytics"], summary="Analytics as JSON")
async def summary(
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    start: FromQuery = None,
    to: ToQuery = None,
    channel: ChannelQuery = None,
) -> dict[str, Any]:
    """Questions per day and channel, outcomes (answered, clarified, refused …), top items and elements,
    satisfaction by item, handoffs and their waiting times (median, 90th percentile), for the days ``from`` to
    ``to`` (local days, Asia/Shanghai; default the last 30) and ``channel``. Editors and admins."""
    period = _period(start, to, channel)
    return await _figures(db, staff, request, period, _names(state), "summary")


@router.get("/api/v1/analytics/export.csv", tags=["analytics"], summary="Analytics as CSV")
async def export(
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    start: FromQuery = None,
    to: ToQuery = None,
    channel: ChannelQuery = None,
) -> Response:
    """The summary's figures as one long table (``metric,key,label,value``), UTF-8 with a byte-order mark for
    Excel."""
    period = _period(start, to, channel)
    figures = await _figures(db, staff, request, period, _names(state), "export.csv")
    name = f"analytics-{period.start}-{period.end}{'-' + period.channel if period.channel else ''}.csv"
    return Response(
        analytics.to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/console/analytics", include_in_schema=False)
async def page(
    request: Request,
    db: ConsoleDep,
    staff: EditorDep,
    state: StateDep,
    pages: PagesDep,
    start: FromQuery = None,
    to: ToQuery = None,
    channel: ChannelQuery = None,
) -> Response:
    """The analytics page: the same figures as charts, with the filters as a GET form and the CSV link."""
    asked = {"from": start or "", "to": to or "", "channel": channel or ""}
    try:
        period = Period.parse(start, to, channel)
    except PeriodError as exc:
        context = {"staff": staff, "active": "analytics", "error": exc.chinese, "asked": asked, "figures": None}
        return pages.render(request, "console_analytics.html", {**context, **_labels()}, status_code=422)
    figures = await _figures(db, staff, request, period, _names(state), "page")
    context = {
        "staff": staff,
        "active": "analytics",
        "error": None,
        "asked": period.query(),
        "figures": figures,
        "export": "/api/v1/analytics/export.csv?" + urlencode(period.query()),
        "charts": charts(figures),
    }
    return pages.render(request, "console_analytics.html", {**context, **_labels()})


def _labels() -> dict[str, Any]:
    return {
        "channels": analytics.CHANNELS,
        "outcomes": analytics.OUTCOMES,
        "reasons": feedback.REASONS,
    }


# -- charts: geometry for the template's SVG -----------------------------------------------------------------------

DAY_CHART = {"width": 420, "height": 200, "left": 36, "right": 8, "top": 12, "bottom": 28}


def nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × a power of ten).

    Example:
        >>> nice_max(0), nice_max(7), nice_max(23), nice_max(180)
        (1, 10, 50, 200)
    """
    if value <= 1:
        return 1
    power = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def charts(figures: dict[str, Any]) -> dict[str, Any]:
    """What the template draws: the per-day stacked bars (positions in the SVG's own units) and, for the bar
    lists, each value as a share of the largest."""
    days = figures["questions"]["by_day"]
    box = DAY_CHART
    plot_w = box["width"] - box["left"] - box["right"]
    plot_h = box["height"] - box["top"] - box["bottom"]
    top = nice_max(max((d["web"] + d["wechat"] for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    bars = []
    for n, day in enumerate(days):
        x = box["left"] + n * slot + (slot - bar_w) / 2
        web_h = plot_h * day["web"] / top
        wechat_h = plot_h * day["wechat"] / top
        base = box["top"] + plot_h
        bars.append(
            {
                "day": day["day"],
                "x": round(x, 2),
                "w": round(bar_w, 2),
                "web": {"y": round(base - web_h, 2), "h": round(web_h, 2), "n": day["web"]},
                "wechat": {"y": round(base - web_h - wechat_h, 2), "h": round(wechat_h, 2), "n": day["wechat"]},
            }
        )
    ticks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    outcomes = figures["outcomes"]
    items = figures["top_items"]
    elements = figures["top_elements"]
    return {
        "box": box,
        "plot_h": plot_h,
        "plot_w": plot_w,
        "top": top,
        "mid": f"{top / 2:g}",
        "bars": bars,
        "ticks": [_tick(bars[n], days[n]["day"], n, len(days)) for n in ticks],
        "outcome_max": max(outcomes.values(), default=0) or 1,
        "outcome_total": sum(outcomes.values()),
        "item_max": max((i["count"] for i in items), default=0) or 1,
        "element_max": max((e["count"] for e in elements), default=0) or 1,
    }


def _tick(bar: dict[str, Any], day: str, n: int, count: int) -> dict[str, Any]:
    """A day's label under its bar: the first starts at its bar, the last ends at its bar (never cut off at the
    chart's edges), the others are centred."""
    if count > 1 and n == 0:
        return {"x": bar["x"], "anchor": "start", "label": day[5:]}
    if count > 1 and n == count - 1:
        return {"x": round(bar["x"] + bar["w"], 2), "anchor": "end", "label": day[5:]}
    return {"x": round(bar["x"] + bar["w"] / 2, 2), "anchor": "middle", "label": day[5:]}
