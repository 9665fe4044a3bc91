"""/docs in a real browser: Swagger UI renders the API from packaged assets, every request stays
on the API's origin, and the Content-Security-Policy reports no violation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from lexgraph.api import create_app
from lexgraph.core.config.settings import Settings
from tests.e2e.test_web_page import CHROMIUM_ARGS, browser  # noqa: F401  (fixture)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Settings(data_dir=tmp_path / "var"))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def test_docs_render_offline_under_the_policy(browser: Any, server: str) -> None:  # noqa: F811
    assert CHROMIUM_ARGS
    context = browser.new_context()
    requests: list[str] = []
    console: list[str] = []
    context.on("request", lambda req: requests.append(req.url))
    page = context.new_page()
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    try:
        page.goto(server + "/docs")
        try:
            page.locator(".swagger-ui .info .title").filter(has_text="lexgraph").wait_for(
                timeout=15_000)
            page.get_by_text("/v1/jobs", exact=True).first.wait_for()
        except Exception as exc:
            raise AssertionError(f"not rendered: {console} {requests}") from exc
    finally:
        context.close()
    assert [url for url in requests if not url.startswith(server + "/")] == []
    assert any(url.endswith("/openapi.json") for url in requests)
    assert not [line for line in console if "Content Security Policy" in line or
                line.startswith(("error", "pageerror"))], console


def test_docs_page_and_assets_come_from_this_origin(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(data_dir=tmp_path / "var"))) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "script-src 'self';" in page.headers["content-security-policy"]
        assert "http" not in page.text and "<script>" not in page.text
        for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                      "/static/docs.js"):
            resp = client.get(asset)
            assert resp.status_code == 200 and len(resp.content) > 400, asset
        assert client.get("/redoc").status_code == 404
