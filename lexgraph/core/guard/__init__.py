"""Tool-call guards behind one Protocol, ``Guard``: screen an agent's proposed tool call, then
the tool's result, and decide allow / reject / halt with a reason and categories.

Adapters: ``RulesGuard`` (always on: injection phrasing, tool-argument checks), ``PromptGuard``
(an injection classifier on untrusted text), ``LlamaGuard`` (Llama Guard 3 over any
``TextCompleter`` backend, with the firm's ``GuardPolicy``), ``ScriptedGuard`` and
``ScriptedGuardModel`` (test doubles); ``GuardChain`` runs several in order, and
``DocumentScreener`` runs them in batches over a job's chunks.
``lexgraph.composition.guards.make_guards`` builds what Settings ask for. The CrewAI wiring
is not here: it is ``lexgraph.tools.guard_hook``.
"""

from lexgraph.core.guard.audit import AuditEntry, AuditWriter
from lexgraph.core.guard.base import (
    Action,
    Guard,
    GuardChain,
    GuardDecision,
    GuardHalted,
    ToolCall,
)
from lexgraph.core.guard.cache import VerdictCache
from lexgraph.core.guard.documents import ChunkScreening, DocumentScreener
from lexgraph.core.guard.llama_guard import LlamaGuard, Verdict, parse_verdict, render_prompt
from lexgraph.core.guard.policy import Category, GuardPolicy
from lexgraph.core.guard.prompt_guard import (
    InjectionClassifier,
    PromptGuard,
    TransformersInjectionClassifier,
)
from lexgraph.core.guard.rules import RulesGuard, RulesPolicy
from lexgraph.core.guard.scripted import GuardScriptExhausted, Screened, ScriptedGuard
from lexgraph.core.guard.scripted_model import ScriptedGuardModel

__all__ = [
    "Action",
    "AuditEntry",
    "AuditWriter",
    "Category",
    "ChunkScreening",
    "DocumentScreener",
    "Guard",
    "GuardChain",
    "GuardDecision",
    "GuardHalted",
    "GuardPolicy",
    "GuardScriptExhausted",
    "InjectionClassifier",
    "LlamaGuard",
    "PromptGuard",
    "RulesGuard",
    "RulesPolicy",
    "Screened",
    "ScriptedGuard",
    "ScriptedGuardModel",
    "ToolCall",
    "TransformersInjectionClassifier",
    "Verdict",
    "VerdictCache",
    "parse_verdict",
    "render_prompt",
]
