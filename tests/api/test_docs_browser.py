"""``/docs`` works without the internet: Swagger UI's files are served by the application (swagger-ui-bundle), so
a browser that may reach nothing but this server still shows every operation."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from app_doubles import CatalogueHolder, FakeDialogue, catalogue_app, serving
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from knowledge.catalogue import Catalogue


@pytest.fixture(scope="module")
def base_url(bundled: Catalogue) -> Iterator[str]:
    with serving(catalogue_app(bundled)) as url:
        yield url


def test_docs_page_names_only_local_assets(bundled: Catalogue) -> None:
    app = create_app(Settings(), holder=CatalogueHolder(bundled), dialogue=FakeDialogue())
    with TestClient(app) as client:
        page = client.get("/docs").text
        assert "cdn." not in page and "https://" not in page
        for asset in ("/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"):
            assert asset in page
            assert client.get(asset).status_code == 200
        assert client.get("/docs/oauth2-redirect").status_code == 200
        assert client.get("/redoc").status_code == 404  # no local ReDoc: left out rather than loaded from a CDN
        assert client.get("/openapi.json").json()["openapi"].startswith("3.1")  # other clients get it unchanged
        assert client.get("/static/staff.css").status_code == 200  # the application's own files still served


@pytest.mark.slow
def test_docs_show_the_operations_with_every_other_host_blocked(browser, base_url: str) -> None:
    from playwright.sync_api import expect

    blocked: list[str] = []

    def local_only(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.route("**/*", local_only)
        page.goto(f"{base_url}/docs")
        operations = page.locator(".opblock-summary-path")
        expect(operations.first).to_be_visible(timeout=15_000)
        shown = operations.all_inner_texts()
        assert "/api/v1/ask" in shown
        assert "/api/v1/items/{item_id}/checklist" in shown
        assert "/staff/search" in shown
        expect(page.locator(".information-container .title")).to_contain_text("政务助手 API")
    finally:
        page.close()
    assert blocked == []  # the page asked for nothing outside this server
