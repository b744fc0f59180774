"""Rasa NLU components wrapping this package's language understanding (loaded by Rasa, in Rasa's environment).

``ChineseNormaliser`` runs first in the pipeline and rewrites a message's text the way question answering does
(繁简, width, punctuation, filler, colloquial lexicon, pinyin typo repair against the catalogue's vocabulary), so
"領結昏證要帶啥" reaches the tokenizer and DIET as "领结婚证要带什么". Its vocabulary travels inside the model
archive. ``CheckedSQLTrackerStore`` is the conversations' store; it also bounds each conversation's sessions.
:func:`speed_up_rasa` replaces two per-turn hot spots of Rasa 3.6.21 with equivalents. Rasa is imported here only;
the rest of ``nlu`` knows nothing of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import rasa
import sqlalchemy
import sqlalchemy.orm
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.common import all_subclasses

from nlu import AS_WRITTEN
from nlu.heap import freeze_heap

log = logging.getLogger(__name__)
T = TypeVar("T")

VOCABULARY_FILE = "vocabulary.json"
SESSION_TURNS = 6  # a person's messages per session; then a new session starts with the slots' current values
# waits before reading a conversation or storing a turn again when the database went away (a restart); then the
# error goes to Rasa, which goes on from an empty conversation (reading) or sends the answer unstored (storing)
RETRY_PAUSES_S = (0.25, 0.5, 1.0)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ChineseNormaliser(GraphComponent):
    """Normalises message text before tokenisation (see :class:`nlu.normalize.Normaliser`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # JSON list of domain words for typo repair, written by `assistant train` from the index
            "vocabulary_path": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["opencc", "pypinyin"]

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, vocabulary: list[str]
    ) -> None:
        from nlu.normalize import Normaliser

        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary
        self._normaliser = Normaliser(vocabulary)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormaliser:
        path = config.get("vocabulary_path")
        vocabulary = json.loads(Path(path).read_text(encoding="utf-8")) if path else []
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Stores the vocabulary in the model archive."""
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary, ensure_ascii=False), "utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ChineseNormaliser:
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((Path(directory) / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, vocabulary)

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text or text.startswith("/"):
            return
        normalised = self._normaliser(text)
        if normalised:  # a message of filler only ("你好") keeps its words
            message.set(TEXT, normalised)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if not example.get("entities"):  # annotated examples keep their character offsets
                self._normalise(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            message.set(AS_WRITTEN, message.get(TEXT), add_to_output=True)
            self._normalise(message)
        return messages


class CheckedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with pooled connections checked before use and bounded sessions.

    - **Checked connections** to PostgreSQL (SQLAlchemy's ``pool_pre_ping``): a restarted PostgreSQL costs no
      turn; without it, every connection the server closed fails once (the turn is answered from an empty
      conversation, or waits for the lock it left behind). A turn whose writing fails because the database went
      away before the commit (a restart under way) is written again after a pause (``RETRY_PAUSES_S``): Rasa
      sends the turn's answer even when storing it failed, so a checklist answer would be lost unseen. Reading a
      conversation is tried again the same way: Rasa would go on from an empty one.
    - **SQLite** (the embedded default, shared by every dialogue worker of one machine) in WAL mode with
      ``synchronous=NORMAL``, its connections kept open: a writer never blocks a reader, and a commit no longer
      waits for the disk (a power cut may lose the last turns, never the file).
    - **Bounded sessions.** A returning person keeps one conversation id for months. Rasa loads a conversation's
      current session each turn and posts it, whole, with every action call, so a session that only grows makes
      every turn slower. When a turn ends with ``session_turns`` messages of the person in the session and no
      checklist under way (a form's state is not carried into a new session), a new session is written after it:
      ``session_started``, the slots' current values (the item being talked about, the checklists offered),
      ``action_listen``. The next turn loads only those. (Rasa's own ``action_session_start`` carries over every
      slot event of the session, not the values, so each session would start longer than the one before.) The old
      events stay in the store, no longer loaded; retention deletes them in time.

    ``assistant serve`` names it in Rasa's endpoints (``type: nlu.rasa_components.CheckedSQLTrackerStore``) for
    PostgreSQL and SQLite alike.
    """

    def __init__(self, *args: Any, session_turns: int = SESSION_TURNS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            # one open connection reused turn after turn (SQLAlchemy 1.4 opens and closes a file's connection for
            # every session); Rasa uses the store from its event loop's thread only
            self.engine = sqlalchemy.create_engine(
                url, poolclass=sqlalchemy.pool.QueuePool, connect_args={"check_same_thread": False}
            )
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sqlalchemy.orm.session.sessionmaker(bind=self.engine)
        self.session_turns = session_turns
        self._queries = _Queries(self.SQLEvent.__table__)
        _add_indexes(self.engine, self.SQLEvent.__table__)
        self._heap_frozen = False

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn's new events and, when the session is full, a new session after them (see the class), in
        one transaction. As Rasa's own ``save`` (the events after those its current session holds), with the
        stored events counted by a statement built once and the rows inserted at once, not one ORM object each."""
        await self.stream_events(tracker)

        def write(session: sqlalchemy.orm.Session) -> None:
            stored = session.execute(self._queries.count, {"sender": tracker.sender_id}).scalar_one()
            events = list(tracker.events)[stored:]  # as Rasa's `_additional_events`: those not stored yet
            if self._session_is_full(tracker):
                events += self._new_session(tracker)
            if events:
                session.execute(
                    sqlalchemy.insert(self.SQLEvent.__table__), [_row(tracker.sender_id, e) for e in events]
                )

        await self._while_away(f"storing {tracker.sender_id[:40]}'s turn", write, commit=True)
        if not self._heap_frozen:  # the engine's model is loaded and has answered a turn: what it keeps is alive
            self._heap_frozen = True
            freeze_heap("dialogue engine, after its first turn")

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """As Rasa's own: the conversation's events (its latest session's, or all), read as text rather than as
        one ORM object each, by statements built once. Read again after a pause while the database is away (a
        restart): Rasa would go on from an empty conversation, answering a checklist's answer out of context."""
        query = self._queries.everything if fetch_events_from_all_sessions else self._queries.session
        events = await self._while_away(
            f"reading {sender_id[:40]}'s conversation",
            lambda session: [json.loads(data) for data in session.execute(query, {"sender": sender_id}).scalars()],
        )
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def _while_away(self, what: str, work: Callable[[sqlalchemy.orm.Session], T], *, commit: bool = False) -> T:
        """``work`` in a session (then committed, with ``commit``), done again after each of ``RETRY_PAUSES_S``
        while the database is away (a restart under way: nothing was read or stored). A failed commit may have
        stored what it wrote: it is not done again, and the error goes to Rasa, as the last one does."""
        for pause in (*RETRY_PAUSES_S, None):
            committing = False
            try:
                with self.session_scope() as session:
                    result = work(session)
                    if commit:
                        committing = True
                        session.commit()
                    return result
            except sqlalchemy.exc.OperationalError as exc:
                if committing or pause is None:
                    raise
                log.warning("%s failed (%s); again in %.2f s", what, exc, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _session_is_full(self, tracker: DialogueStateTracker) -> bool:
        events = tracker.events
        at_rest = (
            bool(events) and isinstance(events[-1], ActionExecuted) and events[-1].action_name == ACTION_LISTEN_NAME
        )
        if not at_rest or tracker.active_loop_name:
            return False
        return sum(isinstance(event, UserUttered) for event in events) >= self.session_turns

    def _new_session(self, tracker: DialogueStateTracker) -> list[Event]:
        """``session_started``, the slots' current values, ``action_listen``."""
        # the store finds the current session as the events from the latest `session_started` timestamp on: the
        # new session starts just after the turn's last event (not at this machine's now, which another node's
        # clock may be behind), so the old events are out of it and the next turn's in
        start = (tracker.events[-1].timestamp or time.time()) + 0.001
        slots = [
            SlotSet(name, slot.value, timestamp=start) for name, slot in tracker.slots.items() if slot.value is not None
        ]
        log.debug("new session for %s after %s messages", tracker.sender_id[:40], self.session_turns)
        return [SessionStarted(timestamp=start), *slots, ActionExecuted(ACTION_LISTEN_NAME, timestamp=start)]


class _Queries:
    """Rasa's ``SQLTrackerStore._event_query`` as SQL statements built once (the ORM builds, and SQLAlchemy 1.4 keys
    and looks up, a new query on every call, twice a turn): the events of a sender's latest session (from its
    latest ``session_started`` on, or all when it has none), all of them, and how many the latest session holds.

    Rasa's query says "from the latest session start, or everything when there is none" with an ``OR``, which no
    index serves: every event the sender ever had is read, twice a turn. Here the start is a bound of the range
    (the lowest float when there is none: every event Rasa writes has a timestamp), so with the indexes of
    :data:`INDEXES` a turn reads its session's rows only, however long the person's history."""

    def __init__(self, events: sqlalchemy.Table):
        sender = events.c.sender_id == sqlalchemy.bindparam("sender")
        started = (
            sqlalchemy.select(sqlalchemy.func.max(events.c.timestamp))
            .where(sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        since = sqlalchemy.func.coalesce(started, sqlalchemy.literal(-sys.float_info.max, sqlalchemy.Float))
        current = sqlalchemy.and_(sender, events.c.timestamp >= since)
        self.session = sqlalchemy.select(events.c.data).where(current).order_by(events.c.id)
        self.everything = sqlalchemy.select(events.c.data).where(sender).order_by(events.c.id)
        self.count = sqlalchemy.select(sqlalchemy.func.count()).select_from(events).where(current)


# Rasa indexes ``events`` by sender only; a sender's latest session start and its session's range need these
INDEXES = {
    "ix_events_sender_type_time": ("sender_id", "type_name", "timestamp"),
    "ix_events_sender_time": ("sender_id", "timestamp"),
}


def _add_indexes(engine: sqlalchemy.engine.Engine, events: sqlalchemy.Table) -> None:
    """Create the :data:`INDEXES` a store lacks (once per database; a store of months takes a few seconds). A
    failure (another dialogue worker creating the same index at the same moment) is logged and costs speed only."""
    for name, columns in INDEXES.items():
        statement = f"CREATE INDEX IF NOT EXISTS {name} ON {events.name} ({', '.join(columns)})"
        try:
            with engine.begin() as connection:
                connection.execute(sqlalchemy.text(statement))
        except sqlalchemy.exc.DBAPIError as exc:
            log.warning("the conversation store's index %s was not created: %s", name, exc)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event as a row of Rasa's ``events`` table, as Rasa's ``SQLTrackerStore.save`` writes it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


SPED_UP_VERSION = "3.6.21"  # the version of Rasa (requirements-rasa.lock) whose internals speed_up_rasa replaces


def speed_up_rasa() -> bool:
    """Replace two hot spots of Rasa 3.6.21 that run on every turn with equivalents; True when applied.

    Found by profiling a dialogue worker under the load test; ``python -m assistant.bench.tracker_store`` times each
    against Rasa's own code:

    - ``Event.resolve_by_type`` walks every subclass of ``Event`` (``all_subclasses``, with ``inspect.isabstract``
      on each) for every event read from the store or an action's answer: the classes are looked up by type name
      in a table made once, in the same order, so the same class is found.
    - ``RemoteAction._validate_action_result`` checks the response schema against its meta-schema and compiles a
      validator for every action call (``jsonschema.validate``): the validator is compiled once; every answer of
      the action server is still validated, and an invalid one still raises the same ``ValidationError``.

    Applied when this module is imported (Rasa imports it for the pipeline and the tracker store), and only on the
    version it was written for: another Rasa keeps its own code, and the log says so.
    """
    if rasa.__version__ != SPED_UP_VERSION:
        log.warning(
            "Rasa %s is not %s: its own event lookup and validation are kept", rasa.__version__, SPED_UP_VERSION
        )
        return False
    if getattr(Event.resolve_by_type, "sped_up", False):
        return True
    original_resolve = Event.resolve_by_type
    by_type: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        if not by_type:
            for cls in all_subclasses(Event):
                by_type.setdefault(cls.type_name, cls)
        found = by_type.get(type_name)
        return found if found is not None else original_resolve(type_name, default)

    resolve_by_type.sped_up = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]

    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))  # the error jsonschema.validate would raise
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    return True


speed_up_rasa()
