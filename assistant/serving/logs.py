"""Operational logs: every record of the serving process, masked, in ``<data_dir>/logs/assistant.log``.

The Cybersecurity Law (网络安全法, article 21) asks that network logs be kept no less than six months, and nothing
personal may be in them: :func:`configure_logging` adds one :class:`~logging.handlers.TimedRotatingFileHandler`
(a new file at midnight, ``assistant.log.YYYY-MM-DD`` kept for ``LOG_RETENTION_DAYS`` days, UTF-8, timestamped)
whose :class:`~assistant.privacy.MaskingFilter` and formatter mask every ID, mobile and bank card number in what it
writes, whatever logger a record comes from (tracebacks included).

The handler sits on the root logger and on every logger that does not propagate. uvicorn configures its own
loggers when ``uvicorn.run`` starts: its ``dictConfig`` replaces the handlers of ``uvicorn`` and
``uvicorn.access`` and stops them propagating, so the access lines would never reach the file. Pass
:func:`uvicorn_log_config` as ``uvicorn.run(..., log_config=...)``: uvicorn's own configuration (same console
output) with this handler added to those two loggers.

Once the root logger has a handler, Python's last-resort handler no longer prints warnings to stderr; a console
handler (WARNING and above, masked) keeps them there. The ``api`` and ``assistant`` loggers log at INFO (knowledge
loaded and reloaded, retention passes); other libraries stay at WARNING (httpx would log every request to Rasa,
its token in the query string).

Example:
    path = configure_logging(paths.data_dir, settings.retention.log_days)
    uvicorn.run(app, host=host, port=port, log_config=uvicorn_log_config())
"""

from __future__ import annotations

import copy
import logging
import sys
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from typing import Any

from assistant.privacy import MaskingFilter, mask

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
FILE_HANDLER = "assistant_file"  # the handler's name, also in uvicorn's log configuration
UVICORN_LOGGERS = ("uvicorn", "uvicorn.access")  # uvicorn's loggers with handlers ("uvicorn.error" propagates)
OWN_LOGGERS = ("api", "assistant")


class MaskingFormatter(logging.Formatter):
    """A formatter whose every line is masked (:func:`assistant.privacy.mask`), tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class _DailyFile(TimedRotatingFileHandler):
    """The operational log file (a class of its own, so it is found again)."""


class _Console(logging.StreamHandler):
    """Warnings to stderr, as Python's last-resort handler printed them before the root logger had a handler."""


def log_path(data_dir: Path) -> Path:
    """Where the operational log of ``data_dir`` is written (``<data_dir>/logs/assistant.log``)."""
    return Path(data_dir) / "logs" / "assistant.log"


def configure_logging(data_dir: Path, retention_days: int) -> Path:
    """Write every log record of this process, masked, to a daily file under ``data_dir`` (see the module).

    Idempotent: a second call with the same arguments adds nothing (it attaches the handler to loggers that stopped
    propagating since); with other arguments, the previous file handler is replaced.

    Args:
        data_dir: the data directory; the file is ``<data_dir>/logs/assistant.log`` (the directory is created).
        retention_days: daily files kept besides the current one (``LOG_RETENTION_DAYS``).

    Returns:
        The log file's path.
    """
    path = log_path(data_dir).resolve()
    handler = installed_handler()
    if handler is not None and (Path(handler.baseFilename) != path or handler.backupCount != retention_days):
        remove_logging()
        handler = None
    if handler is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _DailyFile(path, when="midnight", backupCount=retention_days, encoding="utf-8")
        handler.set_name(FILE_HANDLER)
        handler.setLevel(logging.INFO)
        handler.setFormatter(MaskingFormatter(LOG_FORMAT))
        handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    for logger in (root, *_non_propagating()):
        if handler not in logger.handlers:
            logger.addHandler(handler)
    if not any(isinstance(h, _Console) for h in root.handlers):
        console = _Console(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return path


def installed_handler() -> TimedRotatingFileHandler | None:
    """The file handler :func:`configure_logging` installed on the root logger, if any."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, _DailyFile)), None)


def remove_logging() -> None:
    """Undo :func:`configure_logging`: its handlers are removed from every logger and the file is closed."""
    for logger in (logging.getLogger(), *_loggers()):
        for handler in list(logger.handlers):
            if isinstance(handler, _DailyFile | _Console):
                logger.removeHandler(handler)
                handler.close()


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default ``log_config`` with the file handler of :func:`configure_logging` on its loggers.

    Raises:
        RuntimeError: :func:`configure_logging` was not called first.
    """
    from uvicorn.config import LOGGING_CONFIG

    handler = installed_handler()
    if handler is None:
        raise RuntimeError("configure_logging() must be called before uvicorn_log_config()")
    config = copy.deepcopy(LOGGING_CONFIG)
    config["disable_existing_loggers"] = False  # the application's loggers were made before uvicorn starts
    config["handlers"][FILE_HANDLER] = {"()": lambda: handler}  # the same handler: one file, one rotation
    for name in UVICORN_LOGGERS:
        config["loggers"][name].setdefault("handlers", []).append(FILE_HANDLER)
    return config


def _non_propagating() -> list[logging.Logger]:
    """Existing loggers that do not pass their records to the root logger's handlers."""
    return [logger for logger in _loggers() if not logger.propagate]


def _loggers() -> list[logging.Logger]:
    """Every named logger made so far (not the placeholders of their parents: none is made here)."""
    return [logger for logger in list(logging.Logger.manager.loggerDict.values()) if isinstance(logger, logging.Logger)]
