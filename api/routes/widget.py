"""The embeddable web chat widget (``/widget.js``, ``/widget.css``) and the demo page at ``/``.

The script and stylesheet are served with a short public cache and an ETag, so a portal embedding the widget
picks up a new version within minutes without re-downloading an unchanged one.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

API_DIR = Path(__file__).resolve().parents[1]
STATIC_DIR = API_DIR / "static"
TEMPLATES_DIR = API_DIR / "templates"
CACHE_CONTROL = "public, max-age=300"

templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, auto_reload=False)
)

router = APIRouter(tags=["widget"])


@lru_cache(maxsize=8)
def _asset(name: str, mtime_ns: int) -> tuple[bytes, str]:
    """The file's bytes and ETag, re-read only when the file changes (``mtime_ns`` is part of the cache key)."""
    content = (STATIC_DIR / name).read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:20] + '"'


def _serve(request: Request, name: str, media_type: str) -> Response:
    content, etag = _asset(name, (STATIC_DIR / name).stat().st_mtime_ns)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


@router.get("/widget.js", name="widget_script", include_in_schema=False)
async def widget_script(request: Request) -> Response:
    """The widget: one ``<script src=".../widget.js" defer></script>`` on any page adds the chat."""
    return _serve(request, "widget.js", "application/javascript; charset=utf-8")


@router.get("/widget.css", name="widget_stylesheet", include_in_schema=False)
async def widget_stylesheet(request: Request) -> Response:
    """The widget's styles (loaded by the script inside its shadow root)."""
    return _serve(request, "widget.css", "text/css; charset=utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    """The demo page: what the assistant does, with the widget embedded."""
    root_path = request.scope.get("root_path", "")
    script_path = root_path + request.app.url_path_for("widget_script")
    settings = getattr(request.app.state, "settings", None)
    public_url = (getattr(settings, "public_url", "") or str(request.base_url)).rstrip("/")
    # the application's own template environment when it has one (same settings as its other pages)
    page_templates = getattr(request.app.state, "templates", None) or templates
    return page_templates.TemplateResponse(
        request,
        "index.html",
        {"script_path": script_path, "embed_snippet": f'<script src="{public_url}/widget.js" defer></script>'},
    )
