"""``/docs``: Swagger UI from the installed ``swagger-ui-bundle`` package, nothing from a CDN.

The page, its script and its styles all come from this origin, so it works on a network with
no way out and under the same Content-Security-Policy as the web page: no inline script, no
third-party source. The starter script is ours (``static/docs.js``), since the policy forbids
the inline one FastAPI's page would carry.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
ASSETS_PATH = "/docs/assets"
SWAGGER_UI_DIR = Path(str(swagger_ui_path))

DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lexgraph API</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def assets() -> StaticFiles:
    return StaticFiles(directory=SWAGGER_UI_DIR)


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers=DOCS_HEADERS)
