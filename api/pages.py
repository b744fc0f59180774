"""The HTML pages' machinery: the autoescaping templates and :class:`Pages`, which renders them with the
assistant's sentences and the deployment's contacts (``replies`` in every template), error pages included.

Example:
    >>> pages = Pages(make_templates(), Replies.load())
    >>> pages.title(404)
    '页面不存在'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from assistant.replies import Replies
from knowledge.catalogue import Catalogue
from knowledge.render import contact_line, location_lines, material_line

TEMPLATES = Path(__file__).parent / "templates"


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


def wants_html(request: Request) -> bool:
    """True for a browser asking for a page (not the JSON API)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


class Pages:
    """The pages of one request, speaking with the contacts of the knowledge being served.

    Args:
        templates: the page templates.
        replies: the assistant's sentences (``replies`` in every template: ``{{ replies("page_help") }}``,
            ``{{ replies.contacts.hotline }}``).
    """

    def __init__(self, templates: Jinja2Templates, replies: Replies):
        self.templates = templates
        self.replies = replies

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The template ``name`` rendered with ``context`` and ``replies``."""
        return self.templates.TemplateResponse(
            request,
            name,
            {**context, "replies": self.replies},
            status_code=status_code,
            headers=dict(headers) if headers else None,
        )

    def region_note(self, catalogue: Catalogue) -> str:
        """A line saying whose local data the pages carry, and that it is fictional where it is ("" when not)."""
        fictional = [info.region for info in catalogue.infos if info.fictional]
        if fictional:
            return self.replies("notice_region", regions="、".join(dict.fromkeys(fictional)))
        return ""

    def title(self, status: int) -> str:
        """The error page's title for an HTTP status (``error_title_<status>`` of the reply file, or the general one)."""
        key = f"error_title_{status}"
        return self.replies(key if key in self.replies.texts else "error_title")

    def error(self, request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        """An escaped HTML error page (the templates autoescape whatever the message quotes)."""
        context = {"status": status, "title": self.title(status), "message": message}
        return self.render(request, "error.html", context, status_code=status, headers=headers)
