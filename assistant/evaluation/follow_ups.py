"""How question answering treats a returning person's follow-ups: the splits' short questions asked in a conversation.

A person who keeps one conversation asks the next question in the context of the service talked about before
(``QuestionAnswerer.ask(context_item=…)``). No labelled conversations of real people exist, so the splits' short
questions (40 characters at most) are replayed as follow-ups:

- an out-of-scope question, in the context of its best candidate asked alone (what a conversation leading to it was
  most likely about) and in that of an entry drawn at random: every answer is a wrong one (lower is better);
- an in-scope question in the context of its own item: the right item, and the right element;
- an in-scope question in the context of another entry drawn at random: the right item (the conversation switches);
- everyday follow-ups a returning person asks of whatever service was talked about (:data:`EVERYDAY`: 要本人去吗,
  被拒了怎么办, 能异地办吗 …), each in every entry's conversation: answered from that entry's guide, said to be beyond
  it, clarified, refused as beyond the assistant, or taken to another entry (the last two are wrong).

Usage::

    python -m assistant.evaluation.follow_ups tests/eval/real/real_dev.tsv tests/eval/dev.tsv … [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.evaluate import LONG, Case, read_cases
from assistant.qa import Answer

Ask = Callable[[str, str | None], Answer]  # (message, the conversation's item or None) -> answer

# what a returning person asks next of whatever service was talked about
EVERYDAY = (
    *("要带什么", "多久能办好", "在哪办", "能网上办吗", "要钱吗", "能领多少钱", "能领多久", "要本人去吗"),
    *("可以让家里人代办吗", "电话多少", "不服怎么办", "每个月大概多少钱？", "需要跑几次", "办好了是什么证"),
    *("外地户口能办吗", "可以邮寄吗", "周末能办吗", "需要预约吗", "能加急吗", "过期了怎么办", "要复印件吗"),
    *("需要照片吗", "有效期多久", "能在手机上办吗", "进度怎么查", "被拒了怎么办", "孩子能办吗", "要排队吗"),
    *("原件要带吗", "几点上班", "去哪里拿证", "什么时候能拿到", "能不能快一点", "要交什么表", "表在哪下载"),
    *("需要户口本吗", "需要身份证吗", "能异地办吗", "可以晚点办吗", "有没有时间限制", "要多少天", "还要准备啥"),
    *("是免费的吗", "在线上能办吗", "办完给什么"),
)
OUTCOMES = ("answered", "clarified", "beyond its guide", "refused", "another entry")


@dataclass
class Replay:
    """The outcomes of the questions replayed as follow-ups."""

    out_asked: int = 0  # out-of-scope questions asked in a context (twice each)
    out_answered: int = 0
    own_asked: int = 0  # in-scope questions asked in the context of their own item
    own_item: int = 0
    own_element: int = 0
    other_asked: int = 0  # in-scope questions asked in the context of another entry
    other_item: int = 0

    @classmethod
    def of(cls, cases: Sequence[Case], names: Sequence[str], ask: Ask, seed: int = 7) -> Replay:
        rng = random.Random(seed)
        replay = cls()
        for case in cases:
            if len(case.query) > LONG:
                continue
            if case.item is None:
                alone = ask(case.query, None)
                contexts = [alone.candidates[0].name] if alone.candidates else []
                contexts.append(rng.choice(names))
                for context in contexts:
                    replay.out_asked += 1
                    replay.out_answered += ask(case.query, context).kind == "answer"
                continue
            own = ask(case.query, case.item)
            replay.own_asked += 1
            replay.own_item += own.item == case.item
            replay.own_element += own.item == case.item and (own.element or None) == case.element
            other = rng.choice([name for name in names if name != case.item])
            replay.other_asked += 1
            replay.other_item += ask(case.query, other).item == case.item
        return replay

    def text(self) -> str:
        return "\n".join(
            [
                f"out of scope, asked in a context: {self.out_answered} of {self.out_asked} answered (lower is better)",
                f"in scope, in the context of their own item: {self.own_item} of {self.own_asked} the right item, "
                f"{self.own_element} the right element too",
                f"in scope, in the context of another entry: {self.other_item} of {self.other_asked} the right item",
            ]
        )


@dataclass
class Everyday:
    """How the :data:`EVERYDAY` follow-ups fare in every entry's conversation: per follow-up, how many conversations
    had each outcome of :data:`OUTCOMES`."""

    outcomes: dict[str, dict[str, int]]

    @classmethod
    def of(cls, names: Sequence[str], ask: Ask, follow_ups: Sequence[str] = EVERYDAY) -> Everyday:
        outcomes = {follow_up: dict.fromkeys(OUTCOMES, 0) for follow_up in follow_ups}
        for follow_up in follow_ups:
            for name in names:
                outcomes[follow_up][outcome(ask(follow_up, name), name)] += 1
        return cls(outcomes)

    def text(self) -> str:
        totals = {key: sum(counts[key] for counts in self.outcomes.values()) for key in OUTCOMES}
        lines = [
            f"{len(self.outcomes)} everyday follow-ups in every entry's conversation: "
            + ", ".join(f"{totals[key]} {key}" for key in OUTCOMES)
        ]
        for follow_up, counts in self.outcomes.items():
            if counts["answered"] != sum(counts.values()):
                lines.append(f"  {follow_up}  " + ", ".join(f"{counts[key]} {key}" for key in OUTCOMES if counts[key]))
        return "\n".join(lines)


def outcome(answer: Answer, context: str) -> str:
    """What became of a follow-up asked in ``context``'s conversation (one of :data:`OUTCOMES`)."""
    if answer.kind == "answer":
        return "answered" if answer.item == context else "another entry"
    if answer.kind == "clarify":
        return "clarified"
    return "beyond its guide" if f"“{context}”" in answer.answer else "refused"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluation.follow_ups", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("paths", nargs="+", type=Path, help="evaluation TSVs (query, item, element)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the contexts drawn at random")
    args = parser.parse_args(argv)

    from assistant.qa import QuestionAnswerer
    from assistant.retrieval.index import default_directories, open_index
    from assistant.serving.settings import PathSettings

    try:
        cases = [case for path in args.paths for case in read_cases(path)]
    except (OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    qa = QuestionAnswerer.from_index(
        open_index(default_directories([]), PathSettings().index_root, progress=lambda m: print(m, file=sys.stderr))
    )
    names = sorted(set(qa.ranker.names))
    print(f"{len(cases)} questions from {len(args.paths)} files, the short ones replayed", file=sys.stderr)
    ask: Ask = lambda query, context: qa.ask(query, context_item=context)  # noqa: E731
    print(Replay.of(cases, names, ask, args.seed).text())
    print(Everyday.of(names, ask).text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
