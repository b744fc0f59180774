"""What the 一次性告知单 pages need besides the template: phone numbers to call, the PDF's address and file name,
and the notice paths a batch names (``/notice/{id}?answers``, as :func:`assistant.dialogue.links.notice_path`
writes them). Plain functions, for the notice routes and the staff pages alike.

Example:
    >>> phone_links("12345（示例市政务服务便民热线）")
    ['tel:12345']
    >>> parse_notice_path("/notice/marriage-registration?previous_marriage=no")
    ('marriage-registration', [('previous_marriage', 'no')])
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from knowledge.checklist import Notice
from knowledge.glossary import NOTICE

NOTICE_PREFIX = "/notice/"
MAX_BATCH = 50
"""The most notices one batch page lays out (each is a few pages of print)."""

PHONE = re.compile(r"(?<![\d/.:-])(?:\d{3,4}-\d{7,8}(?:-\d{1,6})?|\d{5,12})(?![\d/.:-])")
"""A phone number inside a contact line: 12345, 0755-12345678, 13800138000 (not a time, a date or an address)."""

UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")

Pairs = list[tuple[str, str]]


def tel_parts(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into runs, each with the ``tel:`` address of the phone number it is (None for other text)."""
    out: list[tuple[str, str | None]] = []
    start = 0
    for match in PHONE.finditer(text):
        if match.start() > start:
            out.append((text[start : match.start()], None))
        out.append((match.group(), "tel:" + match.group()))
        start = match.end()
    if start < len(text):
        out.append((text[start:], None))
    return out


def phone_links(text: str) -> list[str]:
    """The ``tel:`` address of each phone number in ``text``, once each, in order."""
    return list(dict.fromkeys(tel for _, tel in tel_parts(text) if tel))


def pdf_path(notice: Notice, pairs: Pairs) -> str:
    """The address of the notice's PDF for the same answers."""
    return f"{NOTICE_PREFIX}{quote(notice.id)}.pdf" + (f"?{urlencode(pairs)}" if pairs else "")


def content_disposition(notice: Notice) -> str:
    """An attachment named after the notice: RFC 5987 ``filename*`` in UTF-8 and an ASCII ``filename``."""
    fallback = UNSAFE_FILENAME.sub("-", f"notice-{notice.id}").strip("-.") + ".pdf"
    named = quote(f"{NOTICE}-{notice.name}.pdf", safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{named}"


def parse_notice_path(value: str) -> tuple[str, Pairs] | None:
    """``/notice/{id}?answers`` to the id and the answers, or None when ``value`` is not such a path."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment or not parts.path.startswith(NOTICE_PREFIX):
        return None
    item_id = unquote(parts.path.removeprefix(NOTICE_PREFIX))
    if not item_id or "/" in item_id:
        return None
    return item_id, parse_qsl(parts.query, keep_blank_values=True)
