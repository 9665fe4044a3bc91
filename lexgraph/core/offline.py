"""Keep vendor SDKs from phoning home: no telemetry, no tracing upload, no version check.

CrewAI sends anonymous telemetry, may upload execution traces and asks PyPI for newer versions
unless these variables say otherwise, and it reads some of them once, at import. lexgraph's
package ``__init__`` applies them before any of its modules can import CrewAI, so every entry
point (CLI, API, workers, tests) gets them; the values are forced, because "no data leaves the
building" is not an operator preference.

Only CrewAI's own switches: with ``CREWAI_DISABLE_TELEMETRY`` set, CrewAI builds no
OpenTelemetry provider or exporter at all, and its run tracing answers only to
``CREWAI_TRACING_ENABLED``. ``OTEL_SDK_DISABLED`` would also silence CrewAI, but it switches off
every OpenTelemetry provider in the process, including one an application embedding lexgraph
has set up for itself, so it is left alone.
"""

from __future__ import annotations

import os

OFFLINE_ENV: dict[str, str] = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_TRACKING": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TRACING_ENABLED": "false",
}


def keep_vendors_offline() -> None:
    os.environ.update(OFFLINE_ENV)
