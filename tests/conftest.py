"""Shared fixtures: the bundled catalogue (loaded once) and builders of small catalogues for error cases."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from knowledge.catalogue import BUNDLED, Catalogue
from knowledge.loader import load_catalogues

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLE_ITEM = BUNDLED / "items" / "public-security" / "resident-id-card-first.yaml"
ITEM = "ps/resident-id-card-first.yaml"  # where write_catalogue puts the example item
NAME = "居民身份证首次申领"
INFO = {"name": "测试目录", "region": "示例市", "fictional": True, "version": "1", "require_complete": True}


BUNDLE = {
    "id": "test-bundle",
    "name": "测试一件事",
    "department": "示例市政务服务中心",
    "overview": "测试用一件事。",
    "members": [NAME, "不存在的事项"],
    "basis": [
        {
            "law": "《国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见》",
            "article": "国发〔2024〕3号",
            "text": "……",
        }
    ],
    "promised_time_limit": {"amount": 1, "unit": "工作日"},
    "fee": {"charged": False},
    "location": [{"name": "示例市政务服务中心（虚构示例）", "address": "示例市示例路1号（虚构示例）"}],
    "office_hours": "工作日（虚构示例）",
    "consult": {"phone": "12345"},
    "complaint": {"phone": "12345"},
    "online": {"available": False, "depth": 0},
    "process": {"steps": [{"name": "受理", "description": "一窗受理"}, {"name": "办结", "description": "一次办结"}]},
    "version": "1",
    "effective_date": "2026-01-01",
}


@pytest.fixture(scope="session")
def holder():
    """The bundled knowledge (catalogue, index, answerer), built once; the index lives in var/index like `make run`'s,
    keyed by catalogue and settings hash, so a second test run reuses it."""
    from assistant.serving.knowledge import KnowledgeHolder

    return KnowledgeHolder.open_at(REPO / "var" / "index")


@pytest.fixture(scope="session")
def bundled() -> Catalogue:
    """The bundled catalogue, loaded once per test session."""
    return load_catalogues()


# A legal review as a complete catalogue requires it (tests that judge its age set their own "today").
LEGAL_REVIEW = {"date": "2026-12-02", "sources": ["《中华人民共和国居民身份证法》（2011年修正）第八条"]}


@pytest.fixture
def item_data() -> dict:
    """A fresh copy of a complete, valid item as plain data (with a legal review, whatever the bundled file holds)."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE_ITEM.read_text(encoding="utf-8")))
    data.setdefault("legal_review", copy.deepcopy(LEGAL_REVIEW))
    return data


WriteCatalogue = Callable[..., Path]


@pytest.fixture
def write_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteCatalogue:
    """Write a catalogue directory ``cat`` under tmp_path (and chdir there, so messages show short paths).

    Call with ``items={"sub/file.yaml": data_or_text}``, ``bundles={...}``, ``info=data_or_None``.
    """
    monkeypatch.chdir(tmp_path)

    def write(items: dict, bundles: dict | None = None, info: dict | None = INFO) -> Path:
        root = tmp_path / "cat"
        if info is not None:
            root.mkdir(parents=True, exist_ok=True)
            (root / "catalogue.yaml").write_text(yaml.safe_dump(info, allow_unicode=True), encoding="utf-8")
        for folder, files in (("items", items), ("bundles", bundles or {})):
            for rel, content in files.items():
                path = root / folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                text = (
                    content
                    if isinstance(content, str)
                    else yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
                )
                path.write_text(text, encoding="utf-8")
        return root

    return write


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(holder):
    """The real stack started by `assistant serve` (application, Rasa server, action endpoint), once per session.

    Uses var/ like `make run` (index and Rasa model are reused when up to date; trained when not). Yields the base
    URL; on teardown the server gets SIGTERM and must stop every child within 30 s.
    """
    import signal

    port, rasa_port = free_port(), free_port()
    process = start_serve(port, rasa_port, "serve-test.log")
    base = f"http://127.0.0.1:{port}"
    yield base
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode is not None


@pytest.fixture(scope="session")
def dialogue_model(holder):
    """The trained Rasa model (var/rasa, reused when its fingerprint matches, trained otherwise)."""
    from assistant.dialogue.training import train

    return train(holder.current, REPO / "var" / "rasa", progress=lambda _: None)


def start_serve(
    port: int,
    rasa_port: int,
    log_name: str,
    timeout: float = 1200.0,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
):
    """Start `assistant serve` on ``port`` (Rasa on ``rasa_port``) with var/ as its data directory, like
    ``live_server``, and wait until /healthz answers 200.

    Args:
        port: the application's port.
        rasa_port: the Rasa server's port.
        log_name: file under var/ that receives the server's output.
        timeout: seconds to wait (a first run trains the Rasa model).
        args: more options of `assistant serve` (``--dialogue-workers 2``).
        env: more environment variables (``DATABASE_URL``, ``REDIS_URL``).

    Returns:
        The running ``subprocess.Popen``; stop it with SIGTERM.

    Raises:
        RuntimeError: the server exited, or was not healthy in time (it is killed then); the log is named.
    """
    import os
    import subprocess
    import time

    import httpx

    log = (REPO / "var" / log_name).open("ab")
    environment = {**os.environ, "ASSISTANT_DATA_DIR": str(REPO / "var"), **(env or {})}
    process = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "assistant"),
            "serve",
            "--port",
            str(port),
            "--rasa-port",
            str(rasa_port),
            *args,
        ],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()  # the child holds its own descriptor
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"`assistant serve` exited with {process.returncode}; see var/{log_name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"`assistant serve` was not healthy within {timeout:.0f} s; see var/{log_name}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL 15 server (Debian's package, `make services`) in a temporary directory, for the session;
    its role and database ``rasa``. Skips where the package is missing."""
    from assistant.serving.throwaway import ServiceMissing, throwaway_postgres

    try:
        with throwaway_postgres() as server:
            yield server
    except ServiceMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis server (Debian's package, `make services`) in a temporary directory, for the session."""
    from assistant.serving.throwaway import ServiceMissing, throwaway_redis

    try:
        with throwaway_redis() as server:
            yield server
    except ServiceMissing as exc:
        pytest.skip(str(exc))


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (skips the test when either is missing); never a downloaded
    browser."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
