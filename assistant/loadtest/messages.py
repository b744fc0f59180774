"""Real messages to replay: the message column (column A) of every sheet of the MSGABench workbook
(``../shared/data/msgabench-gov-qa.xlsx``: 自然语言理解 traffic-police questions, 政务问答 portal questions,
情感分类 citizen messages to a city hotline, personal details already masked with ``*``).

Each sheet is drawn as often as the others (a sheet at random, then a row of it), so short typed questions and
~300-character hotline messages both weigh in the load, whatever the sheets' sizes.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.workbook import XLSX, workbook_rows

MAX_CHARS = 600  # the chat cuts at 1000; WeChat's passive reply path takes text messages of up to 2048 bytes
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Runs of whitespace (tabs, newlines) as one space, cut at ``MAX_CHARS``; nothing else changed."""
    return _SPACE.sub(" ", text).strip()[:MAX_CHARS]


@dataclass
class RealMessages:
    """The messages of each sheet, for drawing at random."""

    sheets: dict[str, list[str]]

    @classmethod
    def load(cls, path: Path = XLSX) -> RealMessages:
        """Read column A of every sheet (header row skipped), keeping texts with Chinese characters.

        Raises:
            FileNotFoundError: the workbook is missing.
            ValueError: no sheet holds a usable message.
        """
        sheets: dict[str, list[str]] = {}
        for sheet, _, value in workbook_rows(path):
            text = clean(value)
            if len(_CJK.findall(text)) >= 2:
                sheets.setdefault(sheet, []).append(text)
        if not sheets:
            raise ValueError(f"{path}: no sheet holds a message in its column A")
        return cls(sheets)

    def pick(self, rng: random.Random) -> str:
        """One message: a sheet at random, then one of its rows."""
        return rng.choice(self.sheets[rng.choice(sorted(self.sheets))])

    def sample(self, rng: random.Random, count: int) -> list[str]:
        """``count`` messages drawn with :meth:`pick`."""
        return [self.pick(rng) for _ in range(count)]

    def __len__(self) -> int:
        return sum(len(texts) for texts in self.sheets.values())
