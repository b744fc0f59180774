"""Staff accounts for the application tests: one made in a test application's own database (its data directory),
and logging a test client or a browser context in with it, as the console's pages do (``POST /api/v1/auth/login``,
the session cookie kept by the client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.console.db import Database, console_database_url
from assistant.console.staff import add_user

PASSWORD = "window-staff passphrase"


def add_staff(data_dir: Path, username: str = "clerk", role: str = "clerk", password: str = PASSWORD) -> None:
    """Create an account in the SQLite database of ``data_dir`` (the test application's own)."""
    db = Database.open(console_database_url(data_dir))
    try:
        add_user(db, username, role, password)
    finally:
        db.close()


def log_in(client: Any, username: str = "clerk", password: str = PASSWORD) -> dict[str, str]:
    """Log a ``TestClient`` (or an ``httpx.Client`` with a base URL) in; returns ``{"username", "role",
    "csrf_token"}``."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def log_in_browser(context: Any, base_url: str, username: str = "clerk", password: str = PASSWORD) -> None:
    """Log a Playwright browser context in: its request API shares the context's cookies with its pages."""
    response = context.request.post(f"{base_url}/api/v1/auth/login", data={"username": username, "password": password})
    assert response.ok, response.text()
