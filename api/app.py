"""The FastAPI application: settings, knowledge and dialogue on ``app.state``, one router per feature.

The knowledge (catalogue, index, answerer) loads in a worker thread after start-up, so the server answers at once:
``/healthz`` says 503 "starting" until it is ready, and the routes that need it answer 503 meanwhile.

Example:
    >>> app = create_app(Settings())                  # doctest: +SKIP
    >>> # uvicorn "api.app:create_app" --factory
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dialogue import Dialogue, RasaDialogue
from api.settings import Settings
from assistant.runtime import Knowledge, KnowledgeHolder
from knowledge.render import contact_line, location_lines, material_line

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

TAGS = [
    {"name": "health", "description": "Readiness of the knowledge and the dialogue engine."},
    {"name": "ask", "description": "Question answering over the service guides (the `assistant ask --json` contract)."},
    {"name": "items", "description": "Service items (事项) and bundles (一件事): search, guides, checklists."},
    {"name": "notice", "description": "The printable 一次性告知单 page."},
    {"name": "staff", "description": "The window-staff lookup pages (HTML)."},
    {"name": "admin", "description": "Operations: reload the catalogue (bearer token)."},
]

STATUS_TITLES = {
    400: "请求有误",
    401: "未授权",
    403: "禁止访问",
    404: "页面不存在",
    405: "不支持的请求方法",
    413: "提交的内容过大",
    422: "请求无法处理",
    503: "服务正在启动",
}


class KnowledgeLoader:
    """The knowledge holder of a running application, possibly still being built in a worker thread.

    Args:
        holder: an already built holder (tests, embedding applications); None to build one with :meth:`start`.
    """

    def __init__(self, holder: KnowledgeHolder | None = None):
        self.holder = holder
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self, build: Callable[[], KnowledgeHolder]) -> None:
        """Build the holder in a daemon thread (a daemon: a shutdown never waits for an index build)."""

        def run() -> None:
            try:
                self.holder = build()
                log.info("knowledge ready: version %s", self.holder.current.version)
            except Exception as exc:  # a refused catalogue must not kill the server: /healthz reports it
                self.error = str(exc)
                log.exception("knowledge failed to load")

        self._thread = threading.Thread(target=run, name="knowledge-loader", daemon=True)
        self._thread.start()

    @property
    def status(self) -> str:
        """``ready``, ``starting`` (being built) or ``unavailable`` (the build failed)."""
        if self.holder is not None and self.holder.ready:
            return "ready"
        return "unavailable" if self.error is not None else "starting"

    def current(self) -> Knowledge | None:
        """The knowledge being served, or None while it loads (or after a failed start)."""
        return self.holder.current if self.holder is not None and self.holder.ready else None


class BodyTooLarge(HTTPException):
    """A request body above ``max_body_bytes``; an HTTPException so FastAPI's body reader passes it through."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body too large: at most {limit} bytes are accepted")


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413, by Content-Length and while streaming.

    Args:
        app: the ASGI application to wrap.
        max_bytes: the largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, 400, "invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)
                return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)
        if exceeded and not started:
            await self._refuse(scope, receive, send, 413, BodyTooLarge(self.max_bytes).detail)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        headers = {"Connection": "close"} if status == 413 else None
        await JSONResponse({"detail": message}, status_code=status, headers=headers)(scope, receive, send)


def wants_html(request: Request) -> bool:
    """True for a browser asking for a page (not the JSON API)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An escaped HTML error page (the templates autoescape whatever the message quotes)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": STATUS_TITLES.get(status, "出错了"), "message": message},
        status_code=status,
        headers=headers,
    )


def describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    """Validation errors as ``field: reason`` lines a client developer can act on."""
    errors: list[dict[str, str]] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else "request"
        field = ".".join(loc[1:]) or where
        reason = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":
            field = "body"
            detail = (error.get("ctx") or {}).get("error", "")
            reason = (
                "malformed JSON" + (f": {detail}" if detail else "") + (f" at position {loc[1]}" if loc[1:] else "")
            )
        elif error.get("type") == "missing" and loc == ["body"]:
            reason = "a JSON body is required"
        errors.append({"field": field, "in": where, "reason": reason, "type": str(error.get("type", ""))})
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
    return f"invalid request: {summary}", errors


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if wants_html(request):
        message = exc.detail if isinstance(exc.detail, str) else STATUS_TITLES.get(exc.status_code, "出错了")
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = "您访问的页面不存在。"
        elif exc.status_code == 503:
            message = "事项知识库正在加载或暂不可用，请稍候几秒后刷新本页。"
        return error_page(request, exc.status_code, message, headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, errors = describe_validation(exc)
    # a body that is not JSON at all is a bad request; well-formed JSON with wrong fields is unprocessable
    status = 400 if any(e["type"] == "json_invalid" for e in errors) else 422
    if wants_html(request):
        return error_page(request, status, message)
    return JSONResponse({"detail": message, "errors": errors}, status_code=status)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "internal error; it has been logged, please try again or call 12345"
    if wants_html(request):
        return HTMLResponse("<!doctype html><title>出错了</title><p>服务出错，请稍后再试或拨打 12345。</p>", 500)
    return JSONResponse({"detail": message}, status_code=500)


def is_web_url(value: str) -> bool:
    """True for an http(s) address: only those become links (a ``javascript:`` URL in data must not)."""
    return value.startswith(("https://", "http://"))


def make_templates() -> Jinja2Templates:
    """The Jinja2 templates of the pages, autoescaping every value (data is never trusted as markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        contact_line=contact_line, location_lines=location_lines, material_line=material_line, is_web_url=is_web_url
    )
    return Jinja2Templates(env=env)


def create_app(
    settings: Settings | None = None,
    *,
    holder: KnowledgeHolder | None = None,
    dialogue: Dialogue | None = None,
) -> FastAPI:
    """Build the application.

    Args:
        settings: the settings; read from the environment when None.
        holder: the knowledge to serve; when None, one is built in a worker thread at start-up from the bundled
            catalogue plus ``settings.catalogues``, its index under ``settings.data_dir``.
        dialogue: the dialogue engine; when None, the Rasa server at ``settings.rasa_url``.

    Returns:
        The FastAPI application (state on ``app.state``: settings, knowledge, dialogue, templates).

    Raises:
        ValueError: the settings are invalid (in production: a secret still has its development default).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader: KnowledgeLoader = app.state.knowledge
        if loader.holder is None and loader.error is None:
            loader.start(lambda: KnowledgeHolder.open_at(settings.index_root, settings.catalogues))
        own = app.state.dialogue is None
        if own:
            app.state.dialogue = RasaDialogue(settings.rasa_url, token=settings.rasa_token)
        try:
            yield
        finally:
            if own:
                await app.state.dialogue.aclose()
                app.state.dialogue = None

    app = FastAPI(
        title="政务助手 API",
        summary="Guidance on government service items: question answering, service guides, checklists.",
        version="1",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.knowledge = KnowledgeLoader(holder)
    app.state.dialogue = dialogue
    app.state.dialogue_seen_ready = False
    app.state.lookup = None  # (catalogue, ItemLookup) of the knowledge last searched
    app.state.templates = make_templates()

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)

    from api.routes import actions, admin, ask, chat, health, items, notice, staff, wechat, widget

    for module in (health, ask, items, notice, staff, admin, chat, widget, wechat, actions):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
