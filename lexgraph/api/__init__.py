"""HTTP API: thin FastAPI routes over ``core.jobs``; errors are RFC 9457 problem+json."""

from lexgraph.api.app import create_app

__all__ = ["create_app"]
