"""CrewAI agents and the bridge that runs their model calls through ``core.llm``.

Vendor phone-home switches are applied by ``lexgraph/__init__`` before this package can import
CrewAI; the tool-call guard hook (``lexgraph.tools.guard_hook``) is installed on import, so
every tool call of every agent built here is screened, and one made outside a job's
``guarded()`` scope is blocked.
"""

from lexgraph.tools.guard_hook import install as _install_guard_hook

_install_guard_hook()
