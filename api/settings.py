"""The application's settings: one :class:`Settings` object with a section per concern, read from the environment.

Each section is a pydantic-settings class; every field is an environment variable (upper or lower case) named
by the section's prefix and the field, so the documented names stay flat:

========== ================================ ====================================================================
section    class                            environment variables
========== ================================ ====================================================================
server     :class:`ServerSettings`          ``ENVIRONMENT``, ``HOST``, ``PORT``, ``PUBLIC_URL``
paths      :class:`PathSettings`            ``ASSISTANT_DATA_DIR``, ``CATALOGUES`` (``assistant.serving.settings``)
stores     :class:`StoreSettings`           ``DATABASE_URL``, ``REDIS_URL`` (``assistant.serving.settings``)
retention  :class:`RetentionSettings`       ``CONVERSATION_RETENTION_DAYS``, ``LOG_RETENTION_DAYS``
                                            (``assistant.serving.settings``)
dialogue   :class:`DialogueSettings`        ``RASA_URL``, ``RASA_TOKEN``
wechat     :class:`WeChatSettings`          ``WECHAT_TOKEN``, ``WECHAT_APPID``, ``WECHAT_SECRET``,
                                            ``WECHAT_AES_KEY``, ``WECHAT_API_URL``, ``WECHAT_REPLY_DEADLINE``
admin      :class:`AdminSettings`           ``ADMIN_TOKEN``
chat       :class:`ChatSettings`            ``CHAT_SECRET``
limits     :class:`LimitsSettings`          ``MAX_BODY_BYTES``
========== ================================ ====================================================================

The paths section lives in ``assistant/serving`` because the command line resolves the data directory too and
``assistant`` never imports ``api``. Secrets have development defaults so that ``make run`` works out of the box;
with ``ENVIRONMENT=production`` the settings are refused while any of them still has its default.

Example:
    >>> s = Settings(server=ServerSettings(port=8080))
    >>> s.server.public_url
    'http://127.0.0.1:8080'
    >>> Settings(server=ServerSettings(environment="production"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings
    ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.serving.settings import PathSettings, RetentionSettings, StoreSettings

AES_KEY_LENGTH = 43  # WeChat's EncodingAESKey: 43 characters of base64 without the trailing '='


def _config(prefix: str = "") -> SettingsConfigDict:
    # hide_input_in_errors: a validation message must never print a secret
    return SettingsConfigDict(
        env_prefix=prefix, case_sensitive=False, extra="ignore", validate_default=True, hide_input_in_errors=True
    )


class ServerSettings(BaseSettings):
    """Where the application listens and how people reach it.

    Attributes:
        environment: ``development`` or ``production`` (production refuses default secrets).
        host: address the server listens on.
        port: port the server listens on.
        public_url: the address people reach the application at, used in links (printable 告知单);
            derived from host and port when not set.
    """

    model_config = _config()

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""

    @field_validator("environment", mode="before")
    @classmethod
    def _lower_environment(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _derive_public_url(self) -> ServerSettings:
        self.public_url = (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
        return self


class DialogueSettings(BaseSettings):
    """The Rasa servers the application talks to (``RASA_URL``, ``RASA_TOKEN``).

    Attributes:
        url: their REST channel, on loopback; several comma-separated (``serve --dialogue-workers N``), each
            sender always routed to the same one.
        token: auth token of their HTTP API; ``assistant serve`` makes a fresh one per start.
    """

    model_config = _config("rasa_")

    url: str = "http://127.0.0.1:5005"
    token: str = Field(default="", repr=False)

    @property
    def urls(self) -> list[str]:
        """Each Rasa server's URL, in order."""
        return [part.strip() for part in self.url.split(",") if part.strip()]


class WeChatSettings(BaseSettings):
    """The official account (``WECHAT_*``).

    Attributes:
        token: the token configured on the WeChat official-account platform (signatures).
        appid: the official account's AppID.
        secret: the official account's AppSecret (customer-service message API).
        aes_key: the 43-character EncodingAESKey; when set, WeChat runs in safe mode (encrypted).
        api_url: the customer-service message API (a local fake in tests).
        reply_deadline: seconds to wait for the dialogue before answering later (WeChat waits 5 s).
    """

    model_config = _config("wechat_")

    # repr=False: settings printed in a log or a traceback never show a secret
    token: str = Field(default="dev-wechat-token", repr=False)
    appid: str = "dev-wechat-appid"
    secret: str = Field(default="dev-wechat-secret", repr=False)
    aes_key: str | None = Field(default=None, repr=False)
    api_url: str = "https://api.weixin.qq.com/"
    reply_deadline: float = Field(default=4.0, gt=0, le=4.5)

    @field_validator("aes_key", mode="before")
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

    @property
    def safe_mode(self) -> bool:
        """True when WeChat messages are AES-encrypted (an EncodingAESKey is configured)."""
        return self.aes_key is not None


class AdminSettings(BaseSettings):
    """Operations (``ADMIN_TOKEN``).

    Attributes:
        token: bearer token of the admin API (``POST /api/v1/admin/reload``).
    """

    model_config = _config("admin_")

    token: str = Field(default="dev-admin-token", repr=False)


class ChatSettings(BaseSettings):
    """The web chat (``CHAT_SECRET``).

    Attributes:
        secret: signs the sender ids the server issues to the widget (:mod:`api.senders`), so a client cannot
            choose another person's conversation; every application node must share it, and changing it starts
            every web conversation afresh.
    """

    model_config = _config("chat_")

    secret: str = Field(default="dev-chat-secret", repr=False)


class LimitsSettings(BaseSettings):
    """What a request may cost (``MAX_BODY_BYTES``).

    Attributes:
        max_body_bytes: request bodies above this size are refused with 413.
    """

    model_config = _config()

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)


# The development defaults production refuses: (environment variable, section, field).
DEV_SECRETS: list[tuple[str, str, str]] = [
    ("WECHAT_TOKEN", "wechat", "token"),
    ("WECHAT_APPID", "wechat", "appid"),
    ("WECHAT_SECRET", "wechat", "secret"),
    ("ADMIN_TOKEN", "admin", "token"),
    ("CHAT_SECRET", "chat", "secret"),
]


class Settings(BaseModel):
    """Every setting of the HTTP application, by section; each section not given is read from the environment.

    Raises:
        pydantic.ValidationError: a value is invalid, or (in production) a secret still has its development
            default; the message names the variables, never their values.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    server: ServerSettings = Field(default_factory=ServerSettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    stores: StoreSettings = Field(default_factory=StoreSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    wechat: WeChatSettings = Field(default_factory=WeChatSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.server.environment == "production":
            defaults = [
                name
                for name, section, field in DEV_SECRETS
                if getattr(getattr(self, section), field) == type(getattr(self, section)).model_fields[field].default
            ]
            if defaults:
                raise ValueError(
                    "production mode refuses the development default of "
                    f"{', '.join(defaults)}: set {'them' if len(defaults) > 1 else 'it'} in the environment"
                )
        return self
