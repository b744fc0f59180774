"""Settings from the environment: defaults, derived values, and production refusing development secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "HOST", "PORT", "PUBLIC_URL", "DATA_DIR", "ASSISTANT_DATA_DIR", "CATALOGUES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ADMIN_TOKEN", "WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_work_in_development() -> None:
    settings = Settings()
    assert settings.environment == "development"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.data_dir == Path("var")
    assert settings.catalogues == []
    assert settings.max_body_bytes == 64 * 1024
    assert not settings.wechat_safe_mode


def test_read_from_the_environment_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("port", "9000")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("CATALOGUES", "var/gd, /srv/city")
    settings = Settings()
    assert settings.public_url == "http://0.0.0.0:9000"
    assert settings.catalogues == [Path("var/gd"), Path("/srv/city")]


def test_catalogues_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOGUES", '["a", "b c"]')
    assert Settings().catalogues == [Path("a"), Path("b c")]


def test_public_url_given_wins_and_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://zwzs.example.gov.cn/")
    assert Settings().public_url == "https://zwzs.example.gov.cn"


def test_assistant_data_dir_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", "/srv/assistant")
    settings = Settings()
    assert settings.data_dir == Path("/srv/assistant")
    assert settings.index_root == Path("/srv/assistant/index")


def test_production_refuses_default_secrets_and_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("WECHAT_TOKEN", "a-real-token")
    monkeypatch.setenv("WECHAT_APPID", "wx123")
    with pytest.raises(ValueError) as refused:
        Settings()
    message = str(refused.value)
    assert "production mode refuses the development default of WECHAT_SECRET, ADMIN_TOKEN" in message
    assert "WECHAT_TOKEN" not in message
    assert "a-real-token" not in message and "wx123" not in message  # never print a secret


def test_production_starts_with_every_secret_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ADMIN_TOKEN", "WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET"):
        monkeypatch.setenv(name, f"real-{name.lower()}")
    monkeypatch.setenv("ENVIRONMENT", "Production")
    assert Settings().environment == "production"


def test_aes_key_must_be_43_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_AES_KEY", "short")
    with pytest.raises(ValueError, match="WECHAT_AES_KEY must be the 43-character EncodingAESKey"):
        Settings()
    monkeypatch.setenv("WECHAT_AES_KEY", "k" * 43)
    assert Settings().wechat_safe_mode
