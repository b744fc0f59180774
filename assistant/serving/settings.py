"""Where the assistant's files are, read from the environment once: the one place ``ASSISTANT_DATA_DIR`` is read.

The command line, the benchmarks and the HTTP application (whose :class:`api.settings.Settings` holds this as
its ``paths`` section) all resolve the data directory here, so they agree; nothing writes the environment.

Example:
    >>> PathSettings(data_dir="/srv/assistant").index_root
    PosixPath('/srv/assistant/index')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class PathSettings(BaseSettings):
    """The data directory and the extra catalogue directories.

    Attributes:
        data_dir: built artefacts (index, Rasa model, tracker database, logs); ``ASSISTANT_DATA_DIR`` (or
            ``DATA_DIR``), default ``var``.
        catalogues: extra catalogue directories after the bundled one; ``CATALOGUES``, a JSON list or
            comma-separated.
    """

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", validate_default=True, populate_by_name=True
    )

    data_dir: Path = Field(default=Path("var"), validation_alias=AliasChoices("assistant_data_dir", "data_dir"))
    catalogues: Annotated[list[Path], NoDecode] = Field(default_factory=list)

    @field_validator("catalogues", mode="before")
    @classmethod
    def _split_catalogues(cls, value: object) -> object:
        # env values arrive as one string: accept a JSON list or comma-separated paths
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def index_root(self) -> Path:
        """Where the knowledge index lives (one directory per catalogue+settings hash below it)."""
        return self.data_dir / "index"

    @property
    def rasa_root(self) -> Path:
        """Where the dialogue model, its generated project, the tracker database and Rasa's logs live."""
        return self.data_dir / "rasa"


class StoreSettings(BaseSettings):
    """Where conversations and shared state live when the assistant runs on more than one process or machine.

    Attributes:
        database_url: ``DATABASE_URL``; the dialogue's conversations (Rasa's SQL tracker store) in this PostgreSQL
            database (``postgresql://user:password@host:5432/db``); unset: a SQLite file in the data directory.
        redis_url: ``REDIS_URL`` (``redis://[:password@]host:6379/0``); when set, Rasa's Redis lock store, and the
            state application processes share: WeChat's message cache, pages and options, late replies, session
            turn counts. Unset: each process keeps them in memory (one process serves WeChat).
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", hide_input_in_errors=True)

    database_url: str | None = Field(default=None, repr=False)
    redis_url: str | None = Field(default=None, repr=False)

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://", "postgresql+")):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://user:password@host:port/db)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://")):
            raise ValueError("REDIS_URL must be a Redis URL (redis://host:port/db)")
        return value


MIN_LOG_RETENTION_DAYS = 184  # six calendar months are at most 184 days (1 July to 1 January)


class RetentionSettings(BaseSettings):
    """How long conversations and operational logs are kept (``CONVERSATION_RETENTION_DAYS``,
    ``LOG_RETENTION_DAYS``); enforced by :mod:`assistant.serving.retention` and :mod:`assistant.serving.logs`.

    Attributes:
        conversation_days: tracker events (the dialogue's conversations) older than this many days are deleted;
            ``CONVERSATION_RETENTION_DAYS``, default 180.
        log_days: daily log files kept; ``LOG_RETENTION_DAYS``, default 190, at least ``MIN_LOG_RETENTION_DAYS``
            (the Cybersecurity Law, article 21: network logs are kept no less than six months).
    """

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", validate_default=True, populate_by_name=True
    )

    conversation_days: int = Field(
        default=180, ge=1, validation_alias=AliasChoices("conversation_retention_days", "conversation_days")
    )
    log_days: int = Field(default=190, validation_alias=AliasChoices("log_retention_days", "log_days"))

    @field_validator("log_days")
    @classmethod
    def _six_months(cls, value: int) -> int:
        if value < MIN_LOG_RETENTION_DAYS:
            raise ValueError(
                f"LOG_RETENTION_DAYS must be at least {MIN_LOG_RETENTION_DAYS}: the Cybersecurity Law (网络安全法, "
                "article 21) requires operational logs to be kept for no less than six months"
            )
        return value


def data_dir() -> Path:
    """The data directory (``ASSISTANT_DATA_DIR`` or ``var``), for callers without settings of their own."""
    return PathSettings().data_dir
