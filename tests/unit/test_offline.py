"""The service itself keeps CrewAI from phoning home: a fresh interpreter that imports lexgraph's
agents and runs a crew sets the opt-out variables and tries no connection off this machine.

The child process has no network guard of ours; it watches itself through Python's audit hooks
(every socket connect, send and name lookup in any thread), until its very last exit handler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lexgraph.core.offline import OFFLINE_ENV

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import atexit, ipaddress, json, os, socket, sys

attempts = []
LOCAL = {"localhost", "ip6-localhost", "ip6-loopback", socket.gethostname(), None}

def loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return host in LOCAL

def audit(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if event == "socket.connect" else args[-1]
        if isinstance(address, tuple) and not loopback(address[0]):
            attempts.append([event, str(address)])
            raise ConnectionRefusedError("blocked by the test")
    elif event == "socket.getaddrinfo" and not loopback(args[0]):
        attempts.append([event, str(args[0])])
        raise socket.gaierror("blocked by the test")

sys.addaudithook(audit)
# Registered first, so it runs last: after CrewAI's own exit handlers (telemetry flushes).
atexit.register(lambda: print("REPORT " + json.dumps({
    "attempts": attempts,
    "env": {k: os.environ.get(k) for k in __NAMES__},
    "crewai_loaded_after_env": crewai_seen,
}), flush=True))

crewai_seen = "crewai" not in sys.modules
import lexgraph.agents  # noqa: E402

from lexgraph.core.guard import ScriptedGuard  # noqa: E402
from lexgraph.core.llm import ScriptedLLM  # noqa: E402
from lexgraph.tools.guard_hook import guarded  # noqa: E402
from tests.crew_support import LookupClause, action, build_crew, final  # noqa: E402

llm = ScriptedLLM([action("lookup_clause", '{"clause": "term"}'), final("done")])
with guarded(ScriptedGuard()):
    assert build_crew(llm, LookupClause()).kickoff().raw == "done"
"""


def test_importing_the_agents_and_running_a_crew_stays_on_this_machine(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in OFFLINE_ENV and not k.startswith(("CREWAI_", "OTEL_"))}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    child = CHILD.replace("__NAMES__", repr(sorted(OFFLINE_ENV)))
    done = subprocess.run([sys.executable, "-c", child], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("REPORT ")]
    report = json.loads(line.removeprefix("REPORT "))
    assert report["attempts"] == []
    assert report["env"] == OFFLINE_ENV
    assert report["crewai_loaded_after_env"]


def test_the_switches_are_the_ones_crewai_reads() -> None:
    assert OFFLINE_ENV["CREWAI_DISABLE_TELEMETRY"] == "true"
    assert OFFLINE_ENV["CREWAI_DISABLE_VERSION_CHECK"] == "true"
    assert OFFLINE_ENV["CREWAI_TRACING_ENABLED"] == "false"
    # Process-wide: it would switch off a host application's own OpenTelemetry too.
    assert "OTEL_SDK_DISABLED" not in OFFLINE_ENV


def test_importing_lexgraph_leaves_opentelemetry_alone(tmp_path: Path) -> None:
    """A host application's OpenTelemetry keeps working after it imports lexgraph (and
    CrewAI, through the agents): the SDK is not disabled and its provider still records."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREWAI_", "OTEL_"))}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    child = (
        "import json, os\n"
        "import lexgraph.agents\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "span = TracerProvider().get_tracer('host').start_span('probe')\n"
        "print('REPORT ' + json.dumps({'otel': os.environ.get('OTEL_SDK_DISABLED'),\n"
        "    'crewai': os.environ.get('CREWAI_DISABLE_TELEMETRY'),\n"
        "    'recording': span.is_recording()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", child], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("REPORT ")]
    assert json.loads(line.removeprefix("REPORT ")) == {
        "otel": None, "crewai": "true", "recording": True}
