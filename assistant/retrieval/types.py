"""What the retrieval layer hands to question answering (hits, a formal name without its act), and its one error."""

from __future__ import annotations

import re

Hit = tuple[int, float]  # (entry position in the index, score), best first in a list


class IndexError_(RuntimeError):
    """An index directory is missing, stale or corrupt; says what to do."""


# the acts a formal name ends with (食品经营许可证核发, 残疾人证申领, 无犯罪记录证明开具): people name the thing, not the act
NAME_ACTS = ("核发", "申领", "申请", "开具", "签发", "补发", "办理")
_ACT = re.compile(f"(?:{'|'.join(NAME_ACTS)})$")


def without_act(name: str) -> str:
    """A formal name without the act it ends with: 临时救助申请 -> 临时救助."""
    return _ACT.sub("", name)
