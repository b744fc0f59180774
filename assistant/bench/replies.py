"""How much a person reads on a phone: prints figures, asserts nothing.

Usage::

    python -m assistant.bench.replies

Over ten everyday questions, each answered as the chat answers it (``answer_turn``, a fresh conversation): the
characters of the first bubble (``Answer.brief``) and of the whole reply (the first bubble, its buttons' titles
and the checklist offer when made), p50 / p90 / max; then the characters of each bundle's 告知单 as the chat gives
it (``notice_in_chat``) beside the whole notice (``Notice.to_text``, its printable page). An answerer without
``brief`` (before replies were made progressive) is measured on its whole answer, so the same command gives the
figures before and after.
"""

from __future__ import annotations

import statistics

from assistant.dialogue.conversation import answer_turn
from assistant.serving.knowledge import KnowledgeHolder
from knowledge.checklist import build_notice

EVERYDAY = [
    "身份证丢了怎么办",
    "结婚登记要带什么材料",
    "护照怎么办理",
    "离婚冷静期多久",
    "公积金怎么提取",
    "新生儿怎么上户口",
    "驾驶证到期换证要什么材料",
    "社保卡丢了怎么补",
    "居住证在哪里办",
    "开便利店要办什么证",
]


def _p90(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[round(0.9 * (len(ordered) - 1))]


def main() -> None:
    knowledge = KnowledgeHolder.open().current
    replies = knowledge.qa.replies
    firsts, wholes = [], []
    for question in EVERYDAY:
        answer = answer_turn(knowledge, question, None).answer
        first = getattr(answer, "brief", "") or answer.answer
        buttons = sum(len(f.label) for f in getattr(answer, "more", []))
        offer = len(replies("checklist_offer")) if answer.offer_checklist else 0
        firsts.append(len(first))
        wholes.append(len(first) + buttons + offer)
        print(f"{question:<16} first bubble {len(first):>4}  whole reply {wholes[-1]:>4}")
    for label, values in (("first bubble", firsts), ("whole reply", wholes)):
        print(f"{label}: p50 {statistics.median(values):.0f}, p90 {_p90(values)}, max {max(values)} characters")
    try:
        from assistant.dialogue.conversation import notice_in_chat
    except ImportError:  # before the notice was given in short
        notice_in_chat = None
    for bundle in knowledge.catalogue.bundles.values():
        notice = build_notice(knowledge.catalogue, bundle.id, {})
        chat = notice_in_chat(knowledge, notice) if notice_in_chat else notice.to_text()
        print(f"告知单 {bundle.name}: in the chat {len(chat)} characters, the whole notice {len(notice.to_text())}")


if __name__ == "__main__":
    main()
