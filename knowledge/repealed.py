"""Legal texts repealed as a whole (``repealed_texts.yaml``), and finding them cited in a catalogue.

The list is data, kept beside the code and read once: each entry says when and by what the text was repealed,
what to cite instead, and where that is stated.

Example:
    >>> found = find_repealed("《中华人民共和国公司登记管理条例》第二十条", repealed_texts())
    >>> found.title, found.repealed_on.isoformat()
    ('《中华人民共和国公司登记管理条例》', '2022-03-01')
    >>> find_repealed("《中华人民共和国市场主体登记管理条例》第五十五条", repealed_texts()) is None
    True
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, TypeAdapter

from knowledge.schema import Model, Text

REPEALED_TEXTS = Path(__file__).parent / "repealed_texts.yaml"

# The state's name is left out of both sides, since texts are cited with and without it.
_NOISE = re.compile(r"[《》〈〉\s\u3000]|中华人民共和国")


class RepealedText(Model):
    """One repealed text: what it was, when and by what it was repealed, what replaces it."""

    title: Text = Field(description="文本名称（如引用时的写法，带书名号）")
    repealed_on: dt.date = Field(description="废止日期")
    repealed_by: Text = Field(description="废止它的文本和条款")
    replaced_by: Text = Field(description="应改为引用的现行文本")
    source: Text = Field(description="出处：废止条款的原文或其所在")


def normalise(citation: str) -> str:
    """A citation as compared: without 《》, whitespace and 中华人民共和国."""
    return _NOISE.sub("", citation)


@cache
def repealed_texts(path: Path = REPEALED_TEXTS) -> tuple[RepealedText, ...]:
    """The repealed texts listed in ``path`` (read once per process).

    Raises:
        pydantic.ValidationError: an entry does not fit :class:`RepealedText`.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple(TypeAdapter(list[RepealedText]).validate_python(data))


def find_repealed(citation: str, texts: Sequence[RepealedText]) -> RepealedText | None:
    """The listed text that ``citation`` names, or None."""
    cited = normalise(citation)
    return next((t for t in texts if _title_key(t.title) in cited), None)


@cache
def _title_key(title: str) -> str:
    # titles are few (the list's), citations many: normalise each title once
    return normalise(title)
