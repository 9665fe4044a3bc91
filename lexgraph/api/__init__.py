"""HTTP API: thin FastAPI routes over ``core.jobs``; errors are RFC 9457 problem+json."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lexgraph.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: ``lexgraph.client`` imports the API's models without the server.
    if name == "create_app":
        from lexgraph.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
