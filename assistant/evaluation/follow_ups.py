"""How question answering treats a returning person's follow-ups: the splits' short questions asked in a conversation.

A person who keeps one conversation asks the next question in the context of the service talked about before
(``QuestionAnswerer.ask(context_item=…)``). No labelled conversations of real people exist, so the splits' short
questions (40 characters at most) are replayed as follow-ups:

- an out-of-scope question, in the context of its best candidate asked alone (what a conversation leading to it was
  most likely about) and in that of an entry drawn at random: every answer is a wrong one (lower is better);
- an in-scope question in the context of its own item: the right item, and the right element;
- an in-scope question in the context of another entry drawn at random: the right item (the conversation switches).

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
    replay = Replay.of(cases, names, lambda query, context: qa.ask(query, context_item=context), args.seed)
    print(replay.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
