"""Personal numbers masked before anything is stored or logged.

A person writes their ID number, mobile or bank card into a question ("我的身份证号110105…能办吗"); none of them is
needed to answer from a guide, and none may end up in the tracker store, the logs or the analytics. What is
masked, each checked so an ordinary number (a fee, a date, an item code, the 12345 hotline) is left alone:

- resident ID numbers (18 characters with a valid check digit: python-stdnum's ``cn.ric``);
- mobile numbers (11 digits starting 13–19, ``+86`` and separators allowed);
- bank card numbers (13–19 digits, separators allowed, valid by the Luhn check: python-stdnum's ``luhn``).

A number is replaced by as many ``*`` as it had characters: the message reader reads a mask as a gap, as it reads
the hotline data's own masks.

Example:
    >>> mask("我的身份证号11010519491231002X，手机13912345678，能办吗")
    '我的身份证号******************，手机***********，能办吗'
    >>> mask("工本费40元，拨打12345")
    '工本费40元，拨打12345'
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from stdnum import luhn
from stdnum.cn import ric

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])")
_CARD = re.compile(r"(?<![0-9])\d(?:[ -]?\d){12,18}(?![0-9])")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


def _masked(match: re.Match[str]) -> str:
    return "*" * len(match.group())


def mask(text: str) -> str:
    """``text`` with every resident ID, mobile and bank card number replaced by ``*`` (see the module)."""
    if not any(ch.isdigit() for ch in text):
        return text
    text = _ID.sub(lambda m: _masked(m) if ric.is_valid(m.group()) else m.group(), text)
    text = _MOBILE.sub(_masked, text)
    return _CARD.sub(lambda m: _masked(m) if luhn.is_valid(_digits(m.group())) else m.group(), text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in a record's message and arguments (an access log line's
    query string: ``GET /staff?q=13912345678``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(unquote(a)) if isinstance(a, str) else a for a in record.args)
        return True


def mask_logs(*names: str) -> None:
    """Install :class:`MaskingFilter` on the named loggers (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
