"""Operational logs are written to <data_dir>/logs/assistant.log, masked, one file a day, kept LOG_RETENTION_DAYS;
uvicorn's access lines reach the file too."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time

import httpx
import pytest
from conftest import REPO, free_port

from assistant.serving.logs import configure_logging, installed_handler, remove_logging

MOBILE = "13912345678"
ID = "11010519491231002X"
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) [\w.]+ \[\d+\]: ")


@pytest.fixture
def logs():
    """configure_logging's handlers and levels are process-wide: undone after each test."""
    levels = {name: logging.getLogger(name).level for name in ("api", "assistant")}
    yield
    remove_logging()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_every_logger_writes_masked_timestamped_lines(tmp_path, logs):
    quiet = logging.getLogger("test_logs.quiet")  # a logger that keeps its records from the root's handlers
    quiet.propagate = False
    try:
        path = configure_logging(tmp_path, 190)
        assert path == (tmp_path / "logs" / "assistant.log").resolve()
        logging.getLogger("api.routes").info("staff search %s", f"/staff?q={MOBILE}")
        logging.getLogger("assistant.serving").warning(f"身份证号{ID}，手机{MOBILE}")
        quiet.error("from a logger that does not propagate: %s", MOBILE)
        try:
            raise ValueError(f"bad question 我的电话{MOBILE}")
        except ValueError:
            logging.getLogger("api.app").exception("unhandled error")
        logging.getLogger("httpx").info(f"HTTP Request: GET http://127.0.0.1:5005/status?token=secret{MOBILE}")
    finally:
        quiet.propagate = True
        quiet.handlers.clear()
    text = path.read_text(encoding="utf-8")
    assert MOBILE not in text and ID not in text
    lines = [line for line in text.splitlines() if LINE.match(line)]
    assert [line.split(": ", 1)[1] for line in lines] == [
        "staff search /staff?q=***********",
        "身份证号******************，手机***********",
        "from a logger that does not propagate: ***********",
        "unhandled error",
    ]
    assert "ValueError: bad question 我的电话***********" in text  # the traceback, masked too
    assert "secret" not in text  # other libraries stay at WARNING (httpx would log Rasa's token)


def test_configuring_twice_adds_one_handler(tmp_path, logs):
    first = configure_logging(tmp_path, 190)
    assert configure_logging(tmp_path, 190) == first
    root = logging.getLogger()
    assert [h for h in root.handlers if h is installed_handler()] == [installed_handler()]
    assert len([h for h in root.handlers if type(h).__name__ == "_Console"]) == 1
    logging.getLogger("assistant").warning("once")
    assert first.read_text(encoding="utf-8").count("once") == 1


def test_daily_rotation_keeps_retention_days_of_files(tmp_path, logs):
    path = configure_logging(tmp_path, 2)
    handler = installed_handler()
    assert (handler.when, handler.backupCount, handler.encoding) == ("MIDNIGHT", 2, "utf-8")
    logging.getLogger("assistant").warning("yesterday's line")
    for day in ("2020-01-01", "2020-01-02", "2020-01-03"):  # older days' files
        path.with_name(f"assistant.log.{day}").write_text(f"{day}\n", encoding="utf-8")
    handler.doRollover()
    logging.getLogger("assistant").warning("today's line")
    kept = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert len(kept) == 2 and kept[0] == "assistant.log.2020-01-03"  # the oldest two deleted
    assert "yesterday's line" in (path.parent / kept[1]).read_text(encoding="utf-8")
    assert "today's line" in path.read_text(encoding="utf-8")
    assert "yesterday's line" not in path.read_text(encoding="utf-8")


UVICORN_APP = """
import logging, sys
from pathlib import Path
import uvicorn
from assistant.serving.logs import configure_logging, uvicorn_log_config

async def app(scope, receive, send):
    logging.getLogger("api.test").warning("asked %s", scope["query_string"].decode())
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})

configure_logging(Path(sys.argv[1]), 190)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="info", lifespan="off",
            log_config=uvicorn_log_config())
"""


@pytest.mark.integration
def test_uvicorn_access_lines_reach_the_file_masked(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", UVICORN_APP, str(tmp_path), str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/x", params={"q": MOBILE}, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        assert reply.status_code == 200
    finally:
        server.terminate()
        console = server.communicate(timeout=30)[0]
    text = (tmp_path / "logs" / "assistant.log").read_text(encoding="utf-8")
    assert MOBILE not in text
    assert re.search(r' INFO uvicorn\.access \[\d+\]: 127\.0\.0\.1:\d+ - "GET /x\?q=\*{11} HTTP/1\.1" 200', text)
    assert re.search(r" INFO uvicorn\.error \[\d+\]: Uvicorn running on http://127\.0\.0\.1:\d+", text)
    assert re.search(r" WARNING api\.test \[\d+\]: asked q=\*{11}", text)
    assert " INFO uvicorn.error" in text.split("Uvicorn running on")[1]  # shutting down, after the request
    assert "Uvicorn running on" in console  # uvicorn's own console output is unchanged
    assert "/x?q=" in console
