"""The application's settings: one pydantic-settings class read from the environment.

Every field is an environment variable of the same name, upper or lower case (``PORT``, ``ADMIN_TOKEN`` …).
Secrets have development defaults so that ``make run`` works out of the box; with ``ENVIRONMENT=production``
the application refuses to start while any of them still has its default.

Example:
    >>> s = Settings(port=8080)
    >>> s.public_url
    'http://127.0.0.1:8080'
    >>> Settings(environment="production")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings
    ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults of the secrets; production refuses every one of them.
DEV_SECRETS: dict[str, str] = {
    "wechat_token": "dev-wechat-token",
    "wechat_appid": "dev-wechat-appid",
    "wechat_secret": "dev-wechat-secret",
    "admin_token": "dev-admin-token",
}
AES_KEY_LENGTH = 43  # WeChat's EncodingAESKey: 43 characters of base64 without the trailing '='


class Settings(BaseSettings):
    """Settings of the HTTP application (web chat, WeChat, staff tool, API).

    Attributes:
        environment: ``development`` or ``production`` (production refuses default secrets).
        host: address the server listens on.
        port: port the server listens on.
        public_url: the address people reach the application at, used in links (printable 告知单);
            derived from host and port when not set.
        rasa_url: the Rasa server's REST channel, on loopback.
        data_dir: built artefacts (index, Rasa model, tracker database); ``ASSISTANT_DATA_DIR`` takes
            precedence over ``DATA_DIR`` so the command line and the server agree.
        catalogues: extra catalogue directories after the bundled one (a JSON list or comma-separated).
        wechat_token: the token configured on the WeChat official-account platform (signatures).
        wechat_appid: the official account's AppID.
        wechat_secret: the official account's AppSecret (customer-service message API).
        wechat_aes_key: the 43-character EncodingAESKey; when set, WeChat runs in safe mode (encrypted).
        admin_token: bearer token of the admin API (``POST /api/v1/admin/reload``).
        max_body_bytes: request bodies above this size are refused with 413.
    """

    # hide_input_in_errors: a validation message must never print a secret
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", validate_default=True, hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""  # auth token of Rasa's HTTP API; `assistant serve` makes a fresh one per start
    data_dir: Path = Field(default=Path("var"), validation_alias=AliasChoices("assistant_data_dir", "data_dir"))
    catalogues: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    wechat_token: str = DEV_SECRETS["wechat_token"]
    wechat_appid: str = DEV_SECRETS["wechat_appid"]
    wechat_secret: str = DEV_SECRETS["wechat_secret"]
    wechat_aes_key: str | None = None
    wechat_api_url: str = "https://api.weixin.qq.com/"  # the customer-service message API (a local fake in tests)
    wechat_reply_deadline: float = Field(default=4.0, gt=0, le=4.5)  # WeChat waits 5 s for a passive reply
    admin_token: str = DEV_SECRETS["admin_token"]
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    @field_validator("environment", mode="before")
    @classmethod
    def _lower_environment(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

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

    @field_validator("wechat_aes_key", mode="before")
    @classmethod
    def _aes_key_shape(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and len(str(value)) != AES_KEY_LENGTH:
            raise ValueError(
                f"WECHAT_AES_KEY must be the {AES_KEY_LENGTH}-character EncodingAESKey shown on the WeChat platform "
                "(leave it unset for plain-text mode)"
            )
        return value

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        if self.environment == "production":
            defaults = [name.upper() for name, value in DEV_SECRETS.items() if getattr(self, name) == value]
            if defaults:
                raise ValueError(
                    "production mode refuses the development default of "
                    f"{', '.join(defaults)}: set {'them' if len(defaults) > 1 else 'it'} in the environment"
                )
        return self

    @property
    def wechat_safe_mode(self) -> bool:
        """True when WeChat messages are AES-encrypted (an EncodingAESKey is configured)."""
        return self.wechat_aes_key is not None

    @property
    def index_root(self) -> Path:
        """Where the knowledge index lives (one directory per catalogue+settings hash below it)."""
        return self.data_dir / "index"
