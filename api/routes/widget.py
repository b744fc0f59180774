"""The embeddable web chat widget (``/widget.js``, ``/widget.css``) and the demo page at ``/``.

The script and stylesheet are served with a short public cache and an ETag, so a portal embedding the widget
picks up a new version within minutes without re-downloading an unchanged one. The script's own sentences
(welcome, error messages) are written into it as it is served, from the reply file with the contacts of the
catalogue being served, and so is the deployment's hotline number, which the widget makes a tap-to-call link
wherever the assistant names it (a city's 96196 as well as the national 12345).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import PagesDep, RepliesDep, SettingsDep
from assistant.replies import Replies

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
CACHE_CONTROL = "public, max-age=300"
SAID_MARKER = b"/*SAID*/{}"
"""Where ``widget.js`` takes its sentences: ``var SAID = /*SAID*/{};``."""
SAID = {
    "welcome": "widget_welcome",
    "serverError": "widget_server_error",
    "unreachable": "widget_unreachable",
    "timeout": "widget_timeout",
}
"""The widget's sentence names -> their keys in the reply file."""

router = APIRouter(tags=["widget"])


@lru_cache(maxsize=8)
def _asset(name: str, mtime_ns: int, said: str = "") -> tuple[bytes, str]:
    """The file's bytes (with ``said`` written in) and ETag, re-read only when the file or ``said`` change
    (``mtime_ns`` and ``said`` are part of the cache key)."""
    content = (STATIC_DIR / name).read_bytes()
    if said:
        content = content.replace(SAID_MARKER, said.encode("ascii"), 1)
    return content, '"' + hashlib.sha256(content).hexdigest()[:20] + '"'


def said_by_widget(replies: Replies) -> str:
    """The widget's sentences, and the hotline it links, as a JavaScript object literal (ASCII JSON: safe in any
    script)."""
    said = {name: replies(key) for name, key in SAID.items()}
    said["hotline"] = replies.contacts.hotline
    return json.dumps(said, ensure_ascii=True, sort_keys=True)


def _serve(request: Request, name: str, media_type: str, said: str = "") -> Response:
    content, etag = _asset(name, (STATIC_DIR / name).stat().st_mtime_ns, said)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


@router.get("/widget.js", name="widget_script", include_in_schema=False)
async def widget_script(request: Request, replies: RepliesDep) -> Response:
    """The widget: one ``<script src=".../widget.js" defer></script>`` on any page adds the chat."""
    return _serve(request, "widget.js", "application/javascript; charset=utf-8", said_by_widget(replies))


@router.get("/widget.css", name="widget_stylesheet", include_in_schema=False)
async def widget_stylesheet(request: Request) -> Response:
    """The widget's styles (loaded by the script inside its shadow root)."""
    return _serve(request, "widget.css", "text/css; charset=utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request, settings: SettingsDep, pages: PagesDep) -> Response:
    """The demo page: what the assistant does, with the widget embedded."""
    root_path = request.scope.get("root_path", "")
    script_path = root_path + request.app.url_path_for("widget_script")
    snippet = f'<script src="{settings.server.public_url}/widget.js" defer></script>'
    return pages.render(request, "index.html", {"script_path": script_path, "embed_snippet": snippet})
