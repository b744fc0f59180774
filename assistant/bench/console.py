"""The staff console's costs on one machine: prints figures, asserts nothing.

Usage::

    python -m assistant.bench.console [--days 30] [--per-day 3000] [--unanswered 2000] [--database-url URL]

1. **Recording a turn**: what :class:`api.conversations.RecordingDialogue` adds to a chat turn (the person's
   message and the answer stored, the handoff looked up), over an engine that answers at once, so the figure is the
   database's share alone: p50 / p95 milliseconds per turn.
2. **Analytics**: :func:`assistant.console.analytics.summary` and its CSV over ``--days`` days of ``--per-day``
   questions (each answered; 5 % rated, 1 % handed to staff), real citizen questions of MSGABench where
   ``../shared/data`` has them; the figures a department head's page waits for.
3. **The unanswered queue**: :func:`assistant.console.unanswered.queue` over ``--unanswered`` refused questions,
   read with words alone and, when ``var/index`` holds the bundled catalogue's index, with the index's normaliser,
   words and embeddings (what ``/console/unanswered`` computes on each load).

SQLite in a temporary directory by default (the embedded default); ``--database-url`` measures a PostgreSQL
(its tables must be empty: the console's migrations run first).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from api.conversations import RecordingDialogue
from api.dialogue import BotMessage
from assistant.bench.retrieval import questions
from assistant.console import analytics, unanswered
from assistant.console.db import Database, console_database_url
from assistant.console.models import Feedback, Handoff, Message, utcnow

DEV = Path("tests/eval/dev.tsv")
OUTCOMES = ["answer"] * 70 + ["notice"] * 10 + ["clarify"] * 10 + ["out_of_scope"] * 10
ITEMS = ["resident-id-card-reissue", "marriage-registration", "passport-issuance", "birth-registration"]


class _Instant:
    """The measuring harness's engine: answers at once, as the action does (meta included), so a turn's time is
    the recording's."""

    async def send(self, sender_id: str, message: str) -> list[BotMessage]:
        meta = {"outcome": "answer", "item_id": ITEMS[0], "element": "materials", "confidence": 0.9, "version": "1"}
        return [BotMessage(text="【居民身份证补领】……", meta=meta)]

    async def ready(self) -> bool:
        return True


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms"


def bench_recording(db: Database, texts: list[str], turns: int = 500) -> None:
    dialogue = RecordingDialogue(_Instant(), db)
    times: list[float] = []

    async def run() -> None:
        for n in range(turns):
            started = time.perf_counter()
            await dialogue.send(f"w.bench{n % 50}.x", texts[n % len(texts)])
            times.append((time.perf_counter() - started) * 1000)

    asyncio.run(run())
    print(f"recording a turn (person + answer stored, handoff looked up), {turns} turns: {_percentiles(times)}")


def fill(db: Database, texts: list[str], days: int, per_day: int, seed: int = 7) -> int:
    """``days`` days of ``per_day`` answered questions ending now; returns the rows written."""
    rng = random.Random(seed)
    now = utcnow()
    rows = 0
    with db.session() as session:
        for day in range(days):
            for n in range(per_day):
                at = now - timedelta(days=day, seconds=rng.randrange(86_400))
                sender = f"{'wx:' if n % 3 == 0 else 'w.'}{day}-{n % 400}"
                question = texts[rng.randrange(len(texts))][:200]
                outcome = rng.choice(OUTCOMES)
                item = None if outcome == "out_of_scope" else rng.choice(ITEMS)
                person = Message(
                    message_id=f"p{day}-{n}",
                    sender_id=sender,
                    channel="wechat" if n % 3 == 0 else "web",
                    author="person",
                    text=question,
                    created_at=at,
                )
                answer = Message(
                    message_id=f"a{day}-{n}",
                    sender_id=sender,
                    channel=person.channel,
                    author="assistant",
                    text="……",
                    outcome=outcome,
                    item_id=item,
                    element="materials",
                    confidence=rng.random(),
                    guide_version="1",
                    question=question,
                    created_at=at,
                )
                session.add_all([person, answer])
                rows += 2
                if n % 20 == 0:
                    session.add(
                        Feedback(
                            message_id=answer.message_id,
                            sender_id=sender,
                            channel=person.channel,
                            rating=rng.choice(["good", "good", "bad"]),
                            reason=None,
                            item_id=item,
                            question=question,
                            created_at=at,
                        )
                    )
                    rows += 1
                if n % 100 == 0:
                    session.add(
                        Handoff(
                            sender_id=sender,
                            channel=person.channel,
                            status="released",
                            item_id=item,
                            created_at=at,
                            claimed_at=at + timedelta(seconds=rng.randrange(30, 900)),
                        )
                    )
                    rows += 1
            session.flush()
    return rows


def bench_analytics(db: Database, days: int) -> None:
    period = analytics.Period.parse(None, None, None)  # the page's default: the last 30 days
    for label, run in (
        ("summary", lambda: analytics.summary(db, period)),
        ("summary + CSV", lambda: analytics.to_csv(analytics.summary(db, period))),
    ):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        print(f"analytics {label} over the last 30 days: {min(times) * 1000:.0f} ms (best of 3)")


def bench_unanswered(texts: list[str], count: int, url: str | None) -> None:
    readers: list[tuple[str, unanswered.Reader]] = [("words alone", unanswered.PlainReader())]
    try:
        from assistant.serving.knowledge import KnowledgeHolder

        holder = KnowledgeHolder.open_at(Path("var/index"))
        readers.append(("the index's normaliser, words and embeddings", unanswered.reader_for(holder.current)))
    except Exception as exc:  # no index yet: words alone
        print(f"(no index in var/index, {exc}: grouping measured with words alone)")
    with tempfile.TemporaryDirectory() as scratch:
        db = Database.open(url or console_database_url(Path(scratch)))
        now = utcnow()
        with db.session() as session:
            for n in range(count):
                text = texts[n % len(texts)][:200]
                at = now - timedelta(minutes=n)
                session.add(
                    Message(
                        message_id=f"u{n}",
                        sender_id=f"w.{n}",
                        channel="web",
                        author="assistant",
                        text="抱歉……",
                        outcome="out_of_scope",
                        question=text,
                        created_at=at,
                    )
                )
        for label, reader in readers:
            started = time.perf_counter()
            groups = unanswered.queue(db, reader)
            seconds = time.perf_counter() - started
            print(f"unanswered queue, {count} questions read with {label}: {len(groups)} groups in {seconds:.2f} s")
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=3000)
    parser.add_argument("--unanswered", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL to measure (default: SQLite, temporary)")
    args = parser.parse_args()
    texts = questions(5000, DEV)
    print(f"{len(texts)} question texts (the development split, then MSGABench's real questions)")
    with tempfile.TemporaryDirectory() as scratch:
        db = Database.open(args.database_url or console_database_url(Path(scratch)))
        bench_recording(db, texts)
        started = time.perf_counter()
        rows = fill(db, texts, args.days, args.per_day)
        print(
            f"{rows} rows written for {args.days} days of {args.per_day} questions in "
            f"{time.perf_counter() - started:.0f} s"
        )
        bench_analytics(db, args.days)
        db.close()
    bench_unanswered(texts, args.unanswered, args.database_url)


if __name__ == "__main__":
    main()
