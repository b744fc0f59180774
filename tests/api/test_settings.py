"""Settings from the environment: one object with sections, the documented variable names, defaults, derived
values, and production refusing development secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import ServerSettings, Settings
from assistant.serving.settings import PathSettings

DOCUMENTED = (
    "ENVIRONMENT",
    "HOST",
    "PORT",
    "PUBLIC_URL",
    "DATA_DIR",
    "ASSISTANT_DATA_DIR",
    "CATALOGUES",
    "ADMIN_TOKEN",
    "CHAT_SECRET",
    "WECHAT_TOKEN",
    "WECHAT_APPID",
    "WECHAT_SECRET",
    "WECHAT_AES_KEY",
    "WECHAT_API_URL",
    "MAX_BODY_BYTES",
    "RASA_URL",
    "RASA_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DOCUMENTED:
        monkeypatch.delenv(name, raising=False)


def test_defaults_work_in_development() -> None:
    settings = Settings()
    assert settings.server.environment == "development"
    assert settings.server.public_url == "http://127.0.0.1:8000"
    assert settings.dialogue.url == "http://127.0.0.1:5005"
    assert settings.paths.data_dir == Path("var")
    assert settings.paths.catalogues == []
    assert settings.limits.max_body_bytes == 64 * 1024
    assert settings.wechat.api_url == "https://api.weixin.qq.com/"
    assert not settings.wechat.safe_mode


def test_every_documented_variable_reaches_its_section(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "ENVIRONMENT": "production",
        "PUBLIC_URL": "https://zwzs.example.gov.cn",
        "ASSISTANT_DATA_DIR": "/srv/assistant",
        "CATALOGUES": "/srv/city",
        "ADMIN_TOKEN": "real-admin",
        "CHAT_SECRET": "real-chat-secret",
        "WECHAT_TOKEN": "real-token",
        "WECHAT_APPID": "wx123",
        "WECHAT_SECRET": "real-secret",
        "WECHAT_AES_KEY": "k" * 43,
        "WECHAT_API_URL": "http://127.0.0.1:9999/",
        "MAX_BODY_BYTES": "8192",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = Settings()
    assert (s.server.environment, s.server.public_url) == ("production", "https://zwzs.example.gov.cn")
    assert (s.paths.data_dir, s.paths.catalogues) == (Path("/srv/assistant"), [Path("/srv/city")])
    assert s.admin.token == "real-admin"
    assert s.chat.secret == "real-chat-secret"
    assert (s.wechat.token, s.wechat.appid, s.wechat.secret) == ("real-token", "wx123", "real-secret")
    assert s.wechat.aes_key == "k" * 43 and s.wechat.safe_mode
    assert s.wechat.api_url == "http://127.0.0.1:9999/"
    assert s.limits.max_body_bytes == 8192


def test_read_from_the_environment_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("port", "9000")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("CATALOGUES", "var/gd, /srv/city")
    settings = Settings()
    assert settings.server.public_url == "http://0.0.0.0:9000"
    assert settings.paths.catalogues == [Path("var/gd"), Path("/srv/city")]


def test_catalogues_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOGUES", '["a", "b c"]')
    assert Settings().paths.catalogues == [Path("a"), Path("b c")]


def test_public_url_given_wins_and_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://zwzs.example.gov.cn/")
    assert Settings().server.public_url == "https://zwzs.example.gov.cn"
    assert ServerSettings(public_url="https://a.example/x/").public_url == "https://a.example/x"


def test_the_data_directory_is_resolved_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", "/srv/assistant")
    settings = Settings()
    assert settings.paths.data_dir == Path("/srv/assistant")
    assert settings.paths.index_root == Path("/srv/assistant/index")
    assert settings.paths.rasa_root == Path("/srv/assistant/rasa")
    # the command line's resolver (assistant never imports api) reads the same variable the same way
    assert PathSettings().data_dir == settings.paths.data_dir


def test_production_refuses_default_secrets_and_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("WECHAT_TOKEN", "a-real-token")
    monkeypatch.setenv("WECHAT_APPID", "wx123")
    with pytest.raises(ValueError) as refused:
        Settings()
    message = str(refused.value)
    assert "production mode refuses the development default of WECHAT_SECRET, ADMIN_TOKEN, CHAT_SECRET" in message
    assert "WECHAT_TOKEN" not in message
    assert "a-real-token" not in message and "wx123" not in message  # never print a secret


def test_production_starts_with_every_secret_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ADMIN_TOKEN", "WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "CHAT_SECRET"):
        monkeypatch.setenv(name, f"real-{name.lower()}")
    monkeypatch.setenv("ENVIRONMENT", "Production")
    assert Settings().server.environment == "production"


def test_settings_never_print_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ADMIN_TOKEN", "WECHAT_TOKEN", "WECHAT_SECRET", "RASA_TOKEN", "CHAT_SECRET"):
        monkeypatch.setenv(name, f"secret-{name.lower()}")
    shown = repr(Settings())
    assert "secret-" not in shown
    assert "max_body_bytes=65536" in shown  # the rest is there to read


def test_aes_key_must_be_43_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_AES_KEY", "short")
    with pytest.raises(ValueError, match="WECHAT_AES_KEY must be the 43-character EncodingAESKey"):
        Settings()
    monkeypatch.setenv("WECHAT_AES_KEY", "k" * 43)
    assert Settings().wechat.safe_mode
