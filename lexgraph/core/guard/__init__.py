"""Tool-call guards behind one Protocol, ``Guard``: screen an agent's proposed tool call, then
the tool's result, and decide allow / reject / halt with a reason and categories.

Adapters: ``RulesGuard`` (always on: injection phrasing, tool-argument checks), ``ScriptedGuard``
(the test double); ``GuardChain`` runs several in order. A model-based guard (Llama Guard)
plugs in as one more ``Guard`` after the rules. The CrewAI wiring is not here: it is
``lexgraph.tools.guard_hook``.
"""

from lexgraph.core.guard.base import (
    Action,
    Guard,
    GuardChain,
    GuardDecision,
    GuardHalted,
    ToolCall,
)
from lexgraph.core.guard.rules import RulesGuard, RulesPolicy
from lexgraph.core.guard.scripted import GuardScriptExhausted, Screened, ScriptedGuard

__all__ = [
    "Action",
    "Guard",
    "GuardChain",
    "GuardDecision",
    "GuardHalted",
    "GuardScriptExhausted",
    "RulesGuard",
    "RulesPolicy",
    "Screened",
    "ScriptedGuard",
    "ToolCall",
]
