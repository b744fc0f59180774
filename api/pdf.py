"""HTML pages as PDF, with WeasyPrint: the printable 一次性告知单 as a file for staff to print or send.

WeasyPrint is imported on the first PDF, not when the application starts: it needs Pango and HarfBuzz from the
system (``make pdf-libs``), and a server without them still serves everything else; asking for a PDF there
raises :class:`PdfUnavailable`, which the route answers with a page saying what to install. The page is laid out
for print media (``api/static/print.css``: A4, page numbers in the page margins, the fonts named so that the
Chinese text is set in Noto CJK SC and the fonts are embedded, subset). Only the application's own static files
are read while rendering; any other address in the page (a link, an image on the network) is never fetched.

Rendering takes CPU (a few hundred milliseconds a page): call :func:`html_to_pdf` from a worker thread (a plain
``def`` route runs in FastAPI's threadpool). Renders run one at a time: the machine is small, and Pango's font
machinery is not documented as safe to share between threads.

Example:
    >>> pdf = html_to_pdf('<html lang="zh-CN"><p>一次性告知单</p></html>', "http://127.0.0.1:8000/")  # doctest: +SKIP
    >>> pdf[:5]  # doctest: +SKIP
    b'%PDF-'
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
INSTALL_HINT = "make pdf-libs (Debian: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)"

_render_lock = threading.Lock()


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the native libraries it loads (Pango, HarfBuzz, fontconfig), cannot be loaded here."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except OSError as exc:  # cffi could not dlopen Pango / HarfBuzz / fontconfig
        raise PdfUnavailable(
            f"WeasyPrint's native libraries are missing ({exc}); install them: {INSTALL_HINT}"
        ) from exc
    except ImportError as exc:
        raise PdfUnavailable(f"WeasyPrint is not installed ({exc}); install the application's dependencies") from exc
    return weasyprint


def static_file(url: str, base_url: str) -> Path | None:
    """The file of ``api/static`` that ``url`` names on this application (at ``base_url``, its root path
    included or not), or None."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(parts.path)
    for prefix in (base.path.rstrip("/") + STATIC_PREFIX, STATIC_PREFIX):
        if path.startswith(prefix):
            root = STATIC.resolve()
            found = (root / path.removeprefix(prefix)).resolve()
            return found if found.is_relative_to(root) and found.is_file() else None
    return None


def html_to_pdf(html: str, base_url: str) -> bytes:
    """The PDF of an HTML page of this application, laid out for print.

    Args:
        html: the page.
        base_url: the application's address the page's relative links resolve against (its ``/static/`` files
            are read from disk; nothing else is fetched).

    Raises:
        PdfUnavailable: WeasyPrint or its native libraries cannot be loaded.
    """
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        """Serves the application's static files from disk and refuses every other address."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            found = static_file(url, base_url)
            if found is None:
                raise ValueError(f"not fetched while making a PDF: {url[:200]}")
            kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            if kind.startswith("text/"):
                kind += "; charset=utf-8"
            return URLFetcherResponse(url, found.read_bytes(), {"Content-Type": kind})

    with _render_lock:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=StaticOnly(), media_type="print")
        return document.write_pdf()
