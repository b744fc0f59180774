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


def data_dir() -> Path:
    """The data directory (``ASSISTANT_DATA_DIR`` or ``var``), for callers without settings of their own."""
    return PathSettings().data_dir
