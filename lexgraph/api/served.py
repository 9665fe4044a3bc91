"""The app as ``lexgraph api`` serves it: logging set up in each server process first.

Uvicorn starts its worker processes afresh (spawn), so logging configured in the parent
would not reach them; the factory runs in every one. Tests build ``create_app`` directly and
keep their own log capture.
"""

from __future__ import annotations

from fastapi import FastAPI

from lexgraph.api.app import create_app
from lexgraph.core.config.settings import get_settings
from lexgraph.core.observability.jsonlog import configure_logging


def create_served_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_format)
    return create_app(settings)
