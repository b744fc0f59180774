"""The unanswered-questions queue: what the assistant could not answer well, grouped, and what editors decide.

**What enters the queue** (each a person's question, masked as stored):

- refused: the assistant's reply had outcome ``out_of_scope`` or ``empty``;
- only clarified: outcome ``clarify`` (it asked which item and did not answer);
- answered with low confidence: outcome ``answer`` with a calibrated confidence below :data:`LOW_CONFIDENCE`;
- rated 不满意 (``Feedback`` rating ``bad``);
- followed by a handoff: the question answered just before the person asked for a human (outcome ``handoff``
  or a ``Handoff`` row); the request itself ("转人工") teaches nothing and is left out.

One question the queue meets for several reasons (refused, then rated bad, then handed off) is counted once with
all its reasons.

**Grouping** reads questions as question answering does (:class:`IndexReader`: the served index's normaliser,
its segmenter less the question words, and its sentence embeddings) and groups greedily, oldest question first:
a question joins the first group whose representative is as close as :data:`SIMILAR_VECTORS` (cosine) or shares
:data:`SIMILAR_WORDS` of their words (Dice); otherwise it starts a group of its own, whose representative it is.
Groups an editor decided come first, so later phrasings keep joining them. Without an index (a catalogue served
alone) words are character bigrams (:class:`PlainReader`). A group's key is a hash of its representative's text,
stable while the queue grows.

**Decisions**: an editor maps a group to an item, which proposes aliases (the representative by default) and/or a
FAQ entry (:mod:`knowledge.additions`), checked as ``assistant knowledge validate`` checks them before anything is
stored; or marks it out of scope (it leaves the open queue). An admin other than the proposer approves a proposal:
the addition is written to the catalogue directory's ``additions.yaml`` and the knowledge reloads; a refused
catalogue leaves the running knowledge serving, the file as it was and the reasons on the proposal.

Example:
    >>> groups = queue(db, reader_for(knowledge), status="open")       # doctest: +SKIP
    >>> propose(db, knowledge.catalogue, groups[0].key, "food-business-licence", staff)   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import and_, or_, select

from assistant.console.db import Database
from assistant.console.models import Feedback, Handoff, Message, UnansweredGroup, utcnow
from assistant.console.staff import Staff
from assistant.qa.decision import Thresholds
from knowledge import additions
from knowledge.catalogue import BUNDLED, Catalogue
from knowledge.errors import CatalogueError
from knowledge.schema import FAQ

# The answerer answers from a calibrated probability of 0.40 that its entry is right (below it refuses); an
# answer below halfway from there to certainty names the wrong entry at least three times in ten by that same
# calibration: worth an editor's look ("我想办个敬老卡" answered with 特困人员救助供养 at 0.65).
LOW_CONFIDENCE = round((Thresholds().answer + 1) / 2, 2)
# The served embeddings (five models' mean cosine), `python -m assistant.evaluation.pairs SPLIT …`: of the written
# development splits' in-scope questions (dev … dev5), 62 % of the pairs asking one element of one entry are at 0.6
# or above, and 0.03 % of the pairs about two different entries; of the real messages of real_test, 14 % and 0.09 %
# (a long message rarely groups with another: its story differs). A pair is one model draw: 电动车上牌 /
# 电瓶车怎么上牌照 was 0.63 with three models, 0.44 with five. Grouped: 电动车上牌 / 电瓶车上牌照; alone: 在吗
# (tests/assistant/console/test_unanswered_queue.py::test_the_served_index_groups_rephrasings_that_share_few_characters).
SIMILAR_VECTORS = 0.60
SIMILAR_WORDS = 0.5  # Dice of two questions' words: half of them shared
REFUSED = ("out_of_scope", "empty")
REASONS = ("out_of_scope", "empty", "clarify", "low_confidence", "bad_rating", "handoff")
STATUSES = ("open", "mapped", "out_of_scope", "all")
EXAMPLES = 5
MAX_OCCURRENCES = 10_000  # the most recent questions grouped (a city's months of refusals, in a second)
TURN = timedelta(seconds=60)  # an assistant's several bubbles answering one message are one question
MAX_ALIAS = 50
_WRITING = threading.Lock()  # one approval writes and reloads at a time


class QueueError(Exception):
    """A decision that cannot be made; ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, problems: Sequence[str] = ()):
        super().__init__(message)
        self.status = status
        self.problems = list(problems)


# --- what enters the queue ----------------------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One question the assistant did not answer well, with every reason it is in the queue."""

    ref: str  # the assistant message that answered it (its message id)
    question: str
    channel: str
    at: datetime
    reasons: set[str] = field(default_factory=set)
    item_id: str | None = None  # what the assistant answered or the handoff was about


def occurrences(db: Database, limit: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """The questions of the queue, oldest first (at most the ``limit`` most recent)."""
    found: dict[str, Occurrence] = {}
    turns: dict[tuple[str, str], list[Occurrence]] = {}  # (sender, question) -> its occurrences

    def add(row: Message, reason: str) -> None:
        question = (row.question or "").strip()
        if not question:
            return
        seen = found.get(row.message_id)
        if seen is None:  # another bubble of a turn already seen (the assistant may answer in several)
            same = turns.setdefault((row.sender_id, question), [])
            seen = next((o for o in same if abs(o.at - row.created_at) < TURN), None)
            if seen is None:
                seen = Occurrence(row.message_id, question, row.channel, row.created_at, item_id=row.item_id)
                same.append(seen)
            found[row.message_id] = seen
        seen.reasons.add(reason)

    low = and_(Message.outcome == "answer", Message.confidence < LOW_CONFIDENCE)
    with db.session() as session:
        rows = session.scalars(
            select(Message)
            .where(
                Message.author == "assistant",
                Message.question.is_not(None),
                or_(Message.outcome.in_([*REFUSED, "clarify"]), low),
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
        for row in sorted(rows, key=lambda r: r.id):
            add(row, "low_confidence" if row.outcome == "answer" else row.outcome or "")
        bad = session.execute(
            select(Feedback.message_id, Feedback.question, Feedback.channel, Feedback.created_at, Feedback.item_id)
            .where(Feedback.rating == "bad")
            .order_by(Feedback.id.desc())
            .limit(limit)
        ).all()
        ids = [message_id for message_id, *_ in bad]
        rated_messages = {m.message_id: m for m in session.scalars(select(Message).where(Message.message_id.in_(ids)))}
        for message_id, question, channel, at, item_id in bad:
            rated = rated_messages.get(message_id)
            if rated is not None and rated.question:
                add(rated, "bad_rating")
            elif question:
                found.setdefault(message_id, Occurrence(message_id, question.strip(), channel, at, item_id=item_id))
                found[message_id].reasons.add("bad_rating")
        for row in _asked_before_handoffs(session, limit):
            add(row, "handoff")
    ordered = sorted({id(o): o for o in found.values()}.values(), key=lambda o: o.at)
    return ordered[-limit:]


def _asked_before_handoffs(session, limit: int) -> list[Message]:
    """For each handoff, the question the assistant answered last before the person asked for a human."""
    moments: dict[tuple[str, int | None], datetime] = {}
    for sender_id, message_id, at in session.execute(
        select(Message.sender_id, Message.id, Message.created_at)
        .where(Message.author == "assistant", Message.outcome == "handoff")
        .order_by(Message.id.desc())
        .limit(limit)
    ):
        moments[(sender_id, message_id)] = at
    for sender_id, at in session.execute(
        select(Handoff.sender_id, Handoff.created_at).order_by(Handoff.id.desc()).limit(limit)
    ):
        moments.setdefault((sender_id, None), at)
    found: dict[int, Message] = {}
    for (sender_id, message_id), at in moments.items():
        query = select(Message).where(
            Message.sender_id == sender_id,
            Message.author == "assistant",
            Message.question.is_not(None),
            Message.outcome.is_not(None),
            Message.outcome != "handoff",  # the request itself ("转人工") teaches nothing
        )
        query = (
            query.where(Message.id < message_id) if message_id is not None else query.where(Message.created_at <= at)
        )
        before = session.scalar(query.order_by(Message.id.desc()).limit(1))
        if before is not None:
            found[before.id] = before
    return list(found.values())


# --- reading questions as question answering does ------------------------------------------------------------------


class Reader(Protocol):
    """Reads questions for grouping."""

    def normalise(self, text: str) -> str: ...

    def words(self, normalised: str) -> frozenset[str]: ...

    def vectors(self, normalised: Sequence[str]) -> np.ndarray | None: ...


_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


def plain_text(text: str) -> str:
    """A question without width, case, punctuation or spaces: what two copies of one question share."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).lower())


class PlainReader:
    """Words without an index: the character bigrams of the Chinese runs (and whole Latin words)."""

    def normalise(self, text: str) -> str:
        return plain_text(text)

    def words(self, normalised: str) -> frozenset[str]:
        found = {run[i : i + 2] for run in _HAN_RUN.findall(normalised) for i in range(max(1, len(run) - 1))}
        return frozenset(found | set(re.findall(r"[a-z0-9]{2,}", normalised)))

    def vectors(self, normalised: Sequence[str]) -> np.ndarray | None:
        return None


class IndexReader:
    """The served index's reading: its normaliser (typos, colloquial words), its segmenter's words less the
    question words (多少钱, 怎么办) and its sentence embeddings.

    Args:
        index: the served :class:`~assistant.retrieval.index.Index`.
        question_words: the words of asking (the answerer's analyser has them).
    """

    def __init__(self, index: Any, question_words: frozenset[str] = frozenset()):
        self.index = index
        self.question_words = question_words

    def normalise(self, text: str) -> str:
        return self.index.normaliser(text) or plain_text(text)

    def words(self, normalised: str) -> frozenset[str]:
        from assistant.retrieval.bm25 import tokens

        found = tokens(normalised, self.index.segmenter)
        return frozenset(t for t in found if len(t) >= 2 and t not in self.question_words)

    def vectors(self, normalised: Sequence[str]) -> np.ndarray | None:
        if not normalised:
            return None
        encoded = self.index.dense.model.encode(list(normalised), normalize_embeddings=True)
        return np.asarray(encoded, dtype="float32")


def reader_for(knowledge: Any) -> Reader:
    """The reader of the knowledge being served: its index's, or words alone when it has no index."""
    index = getattr(knowledge, "index", None)
    if index is None or not hasattr(index, "normaliser"):
        return PlainReader()
    analyser = getattr(knowledge.qa, "analyser", None)
    return IndexReader(index, getattr(analyser, "question_words", frozenset()))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Twice the shared words over all words (0 when both are empty)."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def group_key(question: str) -> str:
    """A group's key: a hash of its representative's text (width, case, spaces and punctuation aside)."""
    return hashlib.sha256(plain_text(question).encode()).hexdigest()[:16]


# --- groups -------------------------------------------------------------------------------------------------------


@dataclass
class Group:
    """Similar questions, their counts and the editor's decision."""

    key: str
    question: str  # the representative
    occurrences: list[Occurrence] = field(default_factory=list)
    decision: UnansweredGroup | None = None

    @property
    def count(self) -> int:
        return len(self.occurrences)

    @property
    def status(self) -> str:
        """``open`` (undecided, or its proposal rejected), ``mapped`` or ``out_of_scope``."""
        if self.decision is None:
            return "open"
        if self.decision.status == "mapped" and (self.decision.proposal or {}).get("state") == "rejected":
            return "open"
        return self.decision.status

    @property
    def examples(self) -> list[str]:
        """Up to :data:`EXAMPLES` distinct questions, the most asked first."""
        counts = Counter(o.question for o in self.occurrences)
        return [q for q, _ in counts.most_common(EXAMPLES)]

    @property
    def reasons(self) -> dict[str, int]:
        counts = Counter(r for o in self.occurrences for r in o.reasons)
        return {r: counts[r] for r in REASONS if counts[r]}

    @property
    def channels(self) -> dict[str, int]:
        return dict(Counter(o.channel for o in self.occurrences).most_common())

    @property
    def items(self) -> dict[str, int]:
        """What the assistant answered (or the handoff was about), by how often."""
        return dict(Counter(o.item_id for o in self.occurrences if o.item_id).most_common())

    @property
    def last_seen(self) -> datetime | None:
        return max((o.at for o in self.occurrences), default=None)

    def to_dict(self) -> dict[str, Any]:
        """The group as the API gives it."""
        decision = self.decision
        return {
            "key": self.key,
            "question": self.question,
            "count": self.count,
            "examples": self.examples,
            "reasons": self.reasons,
            "channels": self.channels,
            "items": self.items,
            "last_seen": self.last_seen.isoformat(timespec="seconds") if self.last_seen else None,
            "status": self.status,
            "decision": None
            if decision is None
            else {
                "status": decision.status,
                "item_id": decision.item_id,
                "proposal": decision.proposal,
                "decided_by": decision.decided_by,
                "decided_at": decision.decided_at.isoformat(timespec="seconds"),
            },
        }


def group(found: Sequence[Occurrence], reader: Reader, decided: Sequence[UnansweredGroup] = ()) -> list[Group]:
    """Group similar questions greedily (see the module): decided groups first, then in the order given."""
    groups: list[Group] = []
    texts: dict[str, int] = {}  # normalised text -> group
    by_word: dict[str, list[int]] = {}
    representatives: list[frozenset[str]] = []
    unique: dict[str, str] = {}  # normalised -> first text, in order
    for decision in decided:
        question = (decision.proposal or {}).get("question", "")
        unique.setdefault(reader.normalise(question), question)
    for o in found:
        unique.setdefault(reader.normalise(o.question), o.question)
    normalised = list(unique)
    vectors = reader.vectors(normalised)
    position = {text: i for i, text in enumerate(normalised)}
    chosen = np.empty((len(normalised), 0 if vectors is None else vectors.shape[1]), dtype="float32")

    def start(key: str, text: str, question: str, decision: UnansweredGroup | None = None) -> int:
        number = len(groups)
        groups.append(Group(key, question, decision=decision))
        words = reader.words(text)
        representatives.append(words)
        for word in words:
            by_word.setdefault(word, []).append(number)
        if vectors is not None:
            chosen[number] = vectors[position[text]]
        texts[text] = number
        return number

    for decision in decided:
        question = (decision.proposal or {}).get("question", "")
        text = reader.normalise(question)
        if text and text not in texts:
            start(decision.key, text, question, decision)
    for text, question in unique.items():
        if text in texts:
            continue
        words = reader.words(text)
        best, score = None, 0.0
        for number in {n for w in words for n in by_word.get(w, [])}:
            similarity = dice(words, representatives[number])
            if similarity >= SIMILAR_WORDS and similarity > score:
                best, score = number, similarity
        if vectors is not None and groups:
            similarities = chosen[: len(groups)] @ vectors[position[text]]
            top = int(np.argmax(similarities))
            if similarities[top] >= SIMILAR_VECTORS and similarities[top] > score:
                best = top
        texts[text] = best if best is not None else start(group_key(question), text, question)
    for o in found:
        groups[texts[reader.normalise(o.question)]].occurrences.append(o)
    return groups


def decisions(db: Database) -> list[UnansweredGroup]:
    """Every decision, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(UnansweredGroup).order_by(UnansweredGroup.id)))


def queue(
    db: Database,
    reader: Reader,
    *,
    status: str = "open",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Group]:
    """The groups with questions from ``start`` (inclusive) to ``end`` (exclusive), most asked first.

    Groups are formed over every question (so a key does not depend on the dates asked for), then counted within
    the dates; a group with no question within them is left out.

    Args:
        db: the application's database.
        reader: how questions are read (:func:`reader_for`).
        status: ``open``, ``mapped``, ``out_of_scope`` or ``all``.
        start: the earliest question counted.
        end: the moment after the last question counted.
    """
    if status not in STATUSES:
        raise QueueError(422, f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    groups = group(occurrences(db), reader, decisions(db))
    out = []
    for g in groups:
        g.occurrences = [o for o in g.occurrences if (start is None or o.at >= start) and (end is None or o.at < end)]
        if g.count and (status == "all" or g.status == status):
            out.append(g)
    return sorted(out, key=lambda g: (-g.count, -g.last_seen.timestamp() if g.last_seen else 0.0, g.key))


def find(db: Database, reader: Reader, key: str) -> Group:
    """The group with this key, among all groups.

    Raises:
        QueueError: 404 when there is none.
    """
    for g in group(occurrences(db), reader, decisions(db)):
        if g.key == key:
            return g
    raise QueueError(404, f"no group with key {key!r}: the queue has changed since the page was loaded; reload it")


def pending(db: Database) -> list[UnansweredGroup]:
    """The proposals waiting for an admin, oldest first."""
    return [d for d in decisions(db) if d.status == "mapped" and (d.proposal or {}).get("state") == "proposed"]


# --- decisions ------------------------------------------------------------------------------------------------------


def _save(db: Database, key: str, status: str, item_id: str | None, proposal: dict, by: str) -> UnansweredGroup:
    with db.session() as session:
        row = session.scalar(select(UnansweredGroup).where(UnansweredGroup.key == key))
        if row is None:
            row = UnansweredGroup(key=key)
            session.add(row)
        row.status, row.item_id, row.proposal, row.decided_by, row.decided_at = status, item_id, proposal, by, utcnow()
        session.flush()
        return row


def _refuse_if_applied(g: Group) -> None:
    if g.decision is not None and (g.decision.proposal or {}).get("state") == "applied":
        raise QueueError(409, "this group's proposal is already in the catalogue; change additions.yaml to undo it")


def propose(
    db: Database,
    catalogue: Catalogue,
    g: Group,
    item_id: str,
    by: Staff,
    *,
    aliases: Sequence[str] = (),
    faq: FAQ | None = None,
) -> UnansweredGroup:
    """Map a group to an item: propose ``aliases`` (the representative when neither aliases nor a FAQ entry are
    given) and/or a FAQ entry, checked as ``assistant knowledge validate`` checks them, for an admin to approve.

    Raises:
        QueueError: 404 for an unknown item, 422 when the proposal does not validate or adds nothing, 409 when
            the group's proposal is already in the catalogue.
    """
    _refuse_if_applied(g)
    entry = catalogue.get(item_id)
    if entry is None:
        raise QueueError(404, f"no item or bundle {item_id!r}; search for it by name")
    wanted = [a.strip() for a in aliases if a.strip()] or ([] if faq else [g.question.strip()])
    wanted = list(dict.fromkeys(wanted))
    for alias in wanted:
        if "*" in alias:
            raise QueueError(422, f"alias {alias!r} holds a masked number; write the words people use without it")
        if len(alias) > MAX_ALIAS:
            raise QueueError(422, f"alias {alias!r} is longer than {MAX_ALIAS} characters; shorten it")
    addition = additions.Addition(entry=entry.id, aliases=wanted, faq=[faq] if faq else [])
    problems = additions.check(catalogue, addition)
    if problems:
        raise QueueError(422, "the proposal does not validate", [p.reason for p in problems])
    if not additions.is_new(catalogue, addition):
        raise QueueError(422, f"{entry.name} already has this alias or FAQ entry: nothing to add")
    proposal = {
        "question": g.question,
        "entry_name": entry.name,
        "aliases": wanted,
        "faq": faq.model_dump() if faq else None,
        "state": "proposed",
        "proposed_by": by.username,
        "proposed_at": utcnow().isoformat(timespec="seconds"),
    }
    return _save(db, g.key, "mapped", entry.id, proposal, by.username)


def out_of_scope(db: Database, g: Group, by: Staff) -> UnansweredGroup:
    """Mark a group out of scope: it leaves the open queue (a pending proposal is dropped).

    Raises:
        QueueError: 409 when the group's proposal is already in the catalogue.
    """
    _refuse_if_applied(g)
    return _save(db, g.key, "out_of_scope", None, {"question": g.question}, by.username)


def reopen(db: Database, g: Group) -> None:
    """Undo a decision not yet in the catalogue: the group is open again.

    Raises:
        QueueError: 409 when the group's proposal is already in the catalogue; 404 when it has no decision.
    """
    _refuse_if_applied(g)
    with db.session() as session:
        row = session.scalar(select(UnansweredGroup).where(UnansweredGroup.key == g.key))
        if row is None:
            raise QueueError(404, "this group has no decision to undo")
        session.delete(row)


def _proposed(db: Database, key: str) -> UnansweredGroup:
    with db.session() as session:
        row = session.scalar(select(UnansweredGroup).where(UnansweredGroup.key == key))
    if row is None or row.status != "mapped":
        raise QueueError(404, f"no proposal for group {key!r}")
    if (row.proposal or {}).get("state") != "proposed":
        raise QueueError(409, f"this proposal is {(row.proposal or {}).get('state')}, not waiting for review")
    return row


def reject(db: Database, key: str, by: Staff, note: str = "") -> UnansweredGroup:
    """Reject a proposal: the group is open again, the proposal kept with who rejected it and why.

    Raises:
        QueueError: 404 / 409 when there is no proposal waiting.
    """
    row = _proposed(db, key)
    proposal = {**(row.proposal or {}), "state": "rejected", "reviewed_by": by.username, "note": note.strip()}
    proposal["reviewed_at"] = utcnow().isoformat(timespec="seconds")
    return _save(db, key, "mapped", row.item_id, proposal, row.decided_by)


def target_directory(directories: Sequence[Path]) -> Path:
    """Where approved additions are written: the last catalogue directory that is not the bundled one (the city's,
    under its version control), or the bundled one when it is served alone (a development checkout)."""
    own = [Path(d) for d in directories if Path(d).resolve() != BUNDLED.resolve()]
    return own[-1] if own else BUNDLED


def approve(db: Database, holder: Any, key: str, by: Staff) -> UnansweredGroup:
    """Approve a proposal: write it to ``additions.yaml`` of :func:`target_directory` and reload the knowledge.

    The running knowledge keeps serving until the new one is complete; when the catalogue is refused (or its
    index cannot be built) the file is put back as it was and the proposal says why. Runs for as long as the
    reload takes (an index build: a minute for the bundled catalogue).

    Args:
        db: the application's database.
        holder: the :class:`~assistant.serving.knowledge.KnowledgeHolder` serving the knowledge.
        key: the group's key.
        by: the admin approving; not the proposer.

    Raises:
        QueueError: 403 for the proposer, 404 / 409 when there is no proposal waiting, 409 when the knowledge has
            no catalogue directories to write to, 422 when the catalogue is refused.
    """
    with _WRITING:
        row = _proposed(db, key)
        proposal = dict(row.proposal or {})
        if proposal.get("proposed_by") == by.username:
            raise QueueError(403, "a proposal is approved by someone other than its proposer")
        directories = getattr(holder, "directories", None)
        if not directories:
            raise QueueError(409, "the knowledge served has no catalogue directory to write to")
        directory = target_directory(directories)
        faq = proposal.get("faq")
        addition = additions.Addition(
            entry=row.item_id or "",
            aliases=proposal.get("aliases") or [],
            faq=[FAQ(**faq)] if faq else [],
            source=f"未答问题 {key}",
            proposed_by=proposal.get("proposed_by", ""),
            approved_by=by.username,
            date=utcnow().date(),
        )
        reviewed = {"reviewed_by": by.username, "reviewed_at": utcnow().isoformat(timespec="seconds")}
        problems = additions.check(holder.current.catalogue, addition)
        if problems:
            return _refused(db, row, proposal | reviewed, [p.reason for p in problems])
        try:
            previous = additions.append(directory, addition)
        except (CatalogueError, OSError) as exc:
            reasons = [p.reason for p in exc.problems] if isinstance(exc, CatalogueError) else [str(exc)]
            return _refused(db, row, proposal | reviewed, reasons)
        try:
            fresh = holder.reload()
        except CatalogueError as exc:
            additions.restore(directory, previous)
            return _refused(db, row, proposal | reviewed, [str(p) for p in exc.problems])
        except Exception as exc:
            additions.restore(directory, previous)
            return _refused(db, row, proposal | reviewed, [f"the knowledge could not be reloaded: {exc}"])
        answer = fresh.qa.ask(proposal.get("question", "")) if proposal.get("question") else None
        applied = proposal | reviewed
        applied |= {
            "state": "applied",
            "file": str(directory / additions.FILE),
            "version": fresh.version,
            "answered_now": bool(answer and answer.kind == "answer" and answer.item_id == row.item_id),
        }
        return _save(db, key, "mapped", row.item_id, applied, row.decided_by)


def _refused(db: Database, row: UnansweredGroup, proposal: dict, reasons: list[str]) -> UnansweredGroup:
    _save(db, row.key, "mapped", row.item_id, proposal | {"state": "refused", "problems": reasons}, row.decided_by)
    raise QueueError(422, "the catalogue refused the change; the running knowledge keeps serving", reasons)


# --- export ---------------------------------------------------------------------------------------------------------

COLUMNS = ("key", "status", "question", "count", "reasons", "channels", "last_seen", "examples", "item_id", "proposal")
HEADINGS = ("编号", "状态", "代表问题", "次数", "原因", "渠道", "最近出现", "示例", "映射事项", "提案")
REASON_NAMES = {
    "out_of_scope": "拒答",
    "empty": "无内容",
    "clarify": "仅澄清",
    "low_confidence": "低置信度",
    "bad_rating": "差评",
    "handoff": "转人工",
}
STATUS_NAMES = {"open": "待处理", "mapped": "已映射", "out_of_scope": "不属服务范围"}
STATE_NAMES = {"proposed": "待审核", "applied": "已生效", "rejected": "已驳回", "refused": "未通过校验"}


def rows(groups: Iterable[Group]) -> list[list[Any]]:
    """The groups as table rows (:data:`HEADINGS`), in Chinese as staff read them."""
    out: list[list[Any]] = []
    for g in groups:
        decision = g.decision
        proposal = (decision.proposal or {}) if decision else {}
        what = "；".join(
            [*proposal.get("aliases", []), *([proposal["faq"]["question"]] if proposal.get("faq") else [])]
        )
        state = STATE_NAMES.get(proposal.get("state", ""), "")
        out.append(
            [
                g.key,
                STATUS_NAMES[g.status],
                g.question,
                g.count,
                "、".join(f"{REASON_NAMES[r]} {n}" for r, n in g.reasons.items()),
                "、".join(f"{'微信' if c == 'wechat' else '网页'} {n}" for c, n in g.channels.items()),
                g.last_seen.isoformat(timespec="seconds") if g.last_seen else "",
                " | ".join(g.examples),
                decision.item_id or "" if decision else "",
                f"{state}：{what}" if state else "",
            ]
        )
    return out


def to_csv(groups: Iterable[Group]) -> str:
    """The groups as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese text as such)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    writer.writerows([[_cell(v) for v in row] for row in rows(groups)])
    return out.getvalue()


def to_xlsx(groups: Iterable[Group]) -> bytes:
    """The groups as an Excel workbook (one sheet, a frozen heading row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "未答问题"
    sheet.append(list(HEADINGS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows(groups), start=2):
        for column, value in enumerate(row, start=1):
            written = sheet.cell(number, column, value)
            if isinstance(value, str):
                written.data_type = "s"  # a question starting with = is text, never a formula
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (18, 12, 36, 8, 28, 16, 22, 60, 30, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    # a CSV field starting with = + - @ would be a formula to Excel: a question is never one
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value
