"""The FastAPI application: one router per feature, its state built and closed in the lifespan.

The lifespan builds everything the routes use into one :class:`~api.state.AppState` on ``app.state.assistant``
(knowledge, dialogue client, the application's database, WeChat channel, action executor, templates) and closes
it at shutdown: the
dialogue client's connections, and the WeChat channel's late deliveries still pending (cancelled). The knowledge
(catalogue, index, answerer) loads in a worker thread after start-up, so the server answers at once:
``/healthz`` says 503 "starting" until it is ready, and the routes that need it answer 503 meanwhile.

Imports go one way: this module imports the routes, the routes import :mod:`api.deps` (and models), and
:mod:`api.deps` imports the state, never this module.

Example:
    >>> app = create_app(Settings())                  # doctest: +SKIP
    >>> # uvicorn "api.app:create_app" --factory
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from actions import Services, build_executor
from api.conversations import RecordingDialogue
from api.dialogue import Dialogue, GuidesWhenDown, RasaDialogue, ShardedDialogue
from api.middleware import BodySizeLimit
from api.pages import Pages, make_templates, wants_html
from api.routes import (
    actions,
    admin,
    ask,
    auth,
    chat,
    console,
    feedback,
    handoffs,
    health,
    items,
    notice,
    staff,
    unanswered,
    wechat,
    widget,
)
from api.settings import Settings
from api.shared import open_store
from api.state import AppState, KnowledgeLoader
from api.wechat import WeChatChannel
from assistant.console.db import Database, console_database_url
from assistant.console.staff import list_users
from assistant.privacy import mask_logs
from assistant.replies import Replies
from assistant.serving.knowledge import KnowledgeHolder

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = "/static/swagger-ui"  # Swagger UI's files, from the swagger-ui-bundle package: /docs works offline
ROUTERS = (
    health,
    ask,
    items,
    notice,
    staff,
    admin,
    auth,
    console,
    handoffs,
    feedback,
    unanswered,
    chat,
    widget,
    wechat,
    actions,
)

TAGS = [
    {"name": "health", "description": "Readiness of the knowledge and the dialogue engine."},
    {"name": "ask", "description": "Question answering over the service guides (the `assistant ask --json` contract)."},
    {"name": "items", "description": "Service items (事项) and bundles (一件事): search, guides, checklists."},
    {"name": "notice", "description": "The printable 一次性告知单 page."},
    {"name": "staff", "description": "The window-staff lookup pages (HTML)."},
    {"name": "admin", "description": "Operations: reload the catalogue (bearer token)."},
    {"name": "chat", "description": "The web chat: messages in and out, the message stream a handoff pushes to."},
    {"name": "staff accounts", "description": "Staff login and logout (a session cookie; pages: /console/login)."},
    {"name": "handoffs", "description": "Human handoff: the clerks' inbox, claims, replies, hand-back (clerks)."},
    {"name": "feedback", "description": "好差评: a person rates an answer or a 告知单 of their conversation."},
    {
        "name": "unanswered",
        "description": "The unanswered-questions queue, its map -> review -> reload loop (editors).",
    },
    {"name": "analytics", "description": "Questions, outcomes, items, satisfaction, handoff waits (editors)."},
    {"name": "audit", "description": "The audit log of staff actions and lookups (editors)."},
]


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


def _pages(request: Request) -> Pages:
    # exception handlers run outside the dependency system; an application without its lifespan (nothing built)
    # still gets pages, with the default contacts
    state: AppState | None = getattr(request.app.state, "assistant", None)
    if state is None:
        return Pages(make_templates(), Replies.load())
    return Pages(state.templates, state.replies())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if wants_html(request):
        pages = _pages(request)
        replies = pages.replies
        message = exc.detail if isinstance(exc.detail, str) else pages.title(exc.status_code)
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = replies("page_not_found")
        elif exc.status_code == 503:
            message = replies("page_loading")
        return pages.error(request, exc.status_code, message, headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, errors = describe_validation(exc)
    # a body that is not JSON at all is a bad request; well-formed JSON with wrong fields is unprocessable
    status = 400 if any(e["type"] == "json_invalid" for e in errors) else 422
    if wants_html(request):
        return _pages(request).error(request, status, message)
    return JSONResponse({"detail": message, "errors": errors}, status_code=status)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if wants_html(request):
        # no template: whatever failed may be the templates themselves
        pages = _pages(request)
        title, message = html.escape(pages.title(500)), html.escape(pages.replies("page_internal_error"))
        return HTMLResponse(f"<!doctype html><title>{title}</title><p>{message}</p>", 500)
    return JSONResponse({"detail": "internal error; it has been logged, please try again"}, status_code=500)


def create_app(
    settings: Settings | None = None,
    *,
    holder: KnowledgeHolder | None = None,
    dialogue: Dialogue | None = None,
) -> FastAPI:
    """Build the application (its state is built when it starts: see the module).

    Args:
        settings: the settings; read from the environment when None.
        holder: the knowledge to serve; when None, one is built in a worker thread at start-up from the bundled
            catalogue plus ``settings.paths.catalogues``, its index under ``settings.paths.data_dir``.
        dialogue: the dialogue engine (the caller closes it); when None, a client of the Rasa server at
            ``settings.dialogue.url``, closed at shutdown.

    Returns:
        The FastAPI application.

    Raises:
        ValueError: the settings are invalid (in production: a secret still has its development default).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mask_logs("uvicorn.access", "uvicorn.error", "api", "assistant")  # no ID, mobile or card number in a log
        loader = KnowledgeLoader(holder)
        if holder is None:
            loader.start(lambda: KnowledgeHolder.open_at(settings.paths.index_root, settings.paths.catalogues))
        defaults = Replies.load()

        def replies() -> Replies:
            # the catalogue names the deployment's contacts; until it is loaded, the reply file's defaults
            current = loader.current()
            return current.qa.replies if current is not None else defaults

        store = open_store(settings.stores.redis_url)
        engine = dialogue or GuidesWhenDown(
            _rasa(settings),
            ask=lambda: current.qa.ask if (current := loader.current()) is not None else None,
            replies=replies,
        )
        console = Database.open(console_database_url(settings.paths.data_dir, settings.stores.database_url))
        if not _has_staff(console):
            log.warning(
                "no staff account yet: create the first with `assistant staff add admin --role admin` "
                "(password on stdin)"
            )
        public_url = settings.server.public_url
        state = AppState(
            settings=settings,
            knowledge=loader,
            dialogue=RecordingDialogue(engine, console, replies=replies),
            console=console,
            templates=make_templates(),
            replies=replies,
            wechat=WeChatChannel.from_settings(
                settings.wechat, public_url, replies=replies, store=store, console=console
            ),
            actions=build_executor(Services(knowledge=loader.require, public_url=public_url)),
        )
        app.state.assistant = state
        state.wechat.start()
        try:
            yield
        finally:
            app.state.assistant = None
            await state.wechat.aclose()
            if dialogue is None:
                await engine.aclose()  # type: ignore[attr-defined]  # ours: the Rasa one behind GuidesWhenDown
            await store.aclose()
            console.close()

    app = FastAPI(
        title="政务助手 API",
        summary="Guidance on government service items: question answering, service guides, checklists.",
        version="1",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served below from local files, not from a CDN
        redoc_url=None,  # ReDoc has no local bundle here: left out rather than loaded from a CDN
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.limits.max_body_bytes)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    for module in ROUTERS:
        app.include_router(module.router)
    _self_hosted_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _has_staff(console: Database) -> bool:
    """Whether the application's database has a staff account (True when it cannot be read: nothing to advise)."""
    try:
        return bool(list_users(console))
    except Exception:
        return True


def _rasa(settings: Settings) -> RasaDialogue | ShardedDialogue:
    """The Rasa server, or the Rasa servers with each sender routed to the same one (``--dialogue-workers``)."""
    engines = {url: RasaDialogue(url, token=settings.dialogue.token) for url in settings.dialogue.urls}
    return ShardedDialogue(engines) if len(engines) > 1 else next(iter(engines.values()))


def _self_hosted_docs(app: FastAPI) -> None:
    """``/docs`` with Swagger UI's JavaScript, CSS and icon served by the application itself (FastAPI's
    "Self-hosting JavaScript and CSS for docs"), so the API page works on a network without the internet.
    swagger-ui-bundle-v2 ships Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes."""
    from swagger_ui_bundle import swagger_ui_path

    # mounted before /static, which would otherwise answer (404) for everything below it
    app.mount(SWAGGER_UI, StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=redirect_url,
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
