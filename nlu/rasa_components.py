"""Rasa NLU components wrapping this package's language understanding (loaded by Rasa, in Rasa's environment).

``ChineseNormaliser`` runs first in the pipeline and rewrites a message's text the way question answering does
(繁简, width, punctuation, filler, colloquial lexicon, pinyin typo repair against the catalogue's vocabulary), so
"領結昏證要帶啥" reaches the tokenizer and DIET as "领结婚证要带什么". Its vocabulary travels inside the model
archive. ``CheckedSQLTrackerStore`` is the conversations' store. Rasa is imported here only; the rest of ``nlu``
knows nothing of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import AS_WRITTEN

VOCABULARY_FILE = "vocabulary.json"


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
    """Rasa's SQL tracker store whose pooled connections are checked before each use (SQLAlchemy's
    ``pool_pre_ping``), so a restarted PostgreSQL costs no turn: without it, every connection the server closed
    fails once (the turn is answered from an empty conversation, or waits for the lock it left behind).
    ``assistant serve`` names it in Rasa's endpoints (``type: nlu.rasa_components.CheckedSQLTrackerStore``) for
    PostgreSQL and SQLite alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sqlalchemy.orm.session.sessionmaker(bind=self.engine)
