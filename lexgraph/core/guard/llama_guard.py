"""``LlamaGuard``: Llama Guard 3 as a ``Guard``, over any ``TextCompleter`` backend.

The prompt is the model's published chat template, rendered here rather than by a server's
chat endpoint, so the firm's category list (``GuardPolicy``) replaces the stock one and the
same prompt goes to a transformers model, a vLLM engine or a ``/v1/completions`` server:

- the agent's proposed tool call is the ``Agent`` turn, after a ``User`` turn that states the
  situation (``call_context`` of the policy); its result is a ``User`` turn after that call;
  a document chunk is a lone ``User`` turn. The model judges only the last turn.
- the answer must be ``safe``, or ``unsafe`` and a line of category codes. Anything else,
  a code the prompt did not list, or a backend error blocks: the guard fails closed.

What a finding does comes from the policy: ``block`` rejects, ``halt`` also stops the agent
run, ``flag`` lets it through with the category recorded. Verdicts are cached by a hash of
the exact prompt, the model and the policy, and document chunks go to the backend in batches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from lexgraph.core.guard.base import GuardDecision, ToolCall
from lexgraph.core.guard.cache import VerdictCache, content_key
from lexgraph.core.guard.policy import Category, GuardPolicy, Stage
from lexgraph.core.llm.base import TextCompleter

Role = Literal["User", "Agent"]
Turn = tuple[Role, str]

# Llama Guard 3's template, as its model card and chat template give it. Meta's Jinja
# template emits one stray space before <|begin_of_text|>; the model card's prompt has none,
# and neither does this rendering.
BOS = "<|begin_of_text|>"
_TASK = ("<|start_header_id|>user<|end_header_id|>\n\n"
         "Task: Check if there is unsafe content in '{role}' messages in conversations "
         "according our safety policy with the below categories.\n\n"
         "<BEGIN UNSAFE CONTENT CATEGORIES>\n")
_CONVERSATION = "\n<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n"
_INSTRUCTIONS = ("<END CONVERSATION>\n\n"
                 "Provide your safety assessment for ONLY THE LAST {role} message in the above "
                 "conversation:\n"
                 " - First line must read 'safe' or 'unsafe'.\n"
                 " - If unsafe, a second line must include a comma-separated list of violated "
                 "categories.<|eot_id|><|start_header_id|>assistant<|end_header_id|>")

# Text from documents and tools must not be able to close the conversation or open a turn of
# its own: special tokens are parsed out of plain text by most tokenizers and servers.
_SPECIAL = re.compile(r"<\|([A-Za-z0-9_]+)\|>")
_MARKERS = re.compile(r"<(/?)((?:BEGIN|END) (?:CONVERSATION|UNSAFE CONTENT CATEGORIES))>",
                      re.IGNORECASE)
_CODES = re.compile(r"S[0-9]{1,2}(?:\s*,\s*S[0-9]{1,2})*")
GUARD_NAME = "llama_guard"


def neutralize(text: str) -> str:
    """``<|eot_id|>`` becomes ``<eot_id>``, ``<END CONVERSATION>`` ``[END CONVERSATION]``."""
    return _MARKERS.sub(r"[\1\2]", _SPECIAL.sub(r"<\1>", text))


def render_prompt(categories: Sequence[Category], turns: Sequence[Turn], *,
                  bos: bool = True) -> str:
    """The full prompt for ``turns``; the model is asked about the last one."""
    if not turns:
        raise ValueError("a Llama Guard conversation needs at least one turn")
    for i, (role, _) in enumerate(turns):
        if role != ("User" if i % 2 == 0 else "Agent"):
            raise ValueError("Llama Guard conversations alternate User and Agent, starting "
                             "with User")
    if not categories:
        raise ValueError("a Llama Guard prompt needs at least one category")
    role = turns[-1][0]
    body = "".join(f"{r}: {neutralize(text).strip()}\n\n" for r, text in turns)
    return ((BOS if bos else "") + _TASK.format(role=role)
            + "\n".join(c.render() for c in categories) + _CONVERSATION + body
            + _INSTRUCTIONS.format(role=role))


@dataclass(frozen=True)
class Verdict:
    safe: bool
    categories: tuple[str, ...] = ()


class GuardOutputError(ValueError):
    """The model's answer is not a Llama Guard verdict."""


def parse_verdict(text: str) -> Verdict:
    """``safe`` or ``unsafe`` + a line of codes; anything else raises ``GuardOutputError``."""
    cleaned = _SPECIAL.sub("", text)
    lines = [line.strip() for line in cleaned.strip().splitlines() if line.strip()]
    if not lines:
        raise GuardOutputError("the guard model answered nothing")
    head = lines[0].lower()
    if head == "safe" and len(lines) == 1:
        return Verdict(True)
    if head == "unsafe" and len(lines) == 2 and _CODES.fullmatch(lines[1].upper()):
        codes = [c.strip() for c in lines[1].upper().split(",")]
        return Verdict(False, tuple(dict.fromkeys(codes)))
    if head == "unsafe" and len(lines) == 1:
        return Verdict(False)
    raise GuardOutputError("the guard model's answer is not 'safe' or 'unsafe' with category "
                           "codes")


def render_call(call: ToolCall) -> str:
    try:
        args = json.dumps(call.args, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        args = repr(dict(call.args))
    return f"Tool call: {call.tool} {args}"


Outcome = Verdict | BaseException


class LlamaGuard:
    """A ``Guard`` backed by Llama Guard 3 (any size) behind a ``TextCompleter``."""

    def __init__(self, completer: TextCompleter, policy: GuardPolicy | None = None, *,
                 cache: VerdictCache[Verdict] | None = None, batch_size: int = 8,
                 max_tokens: int = 20, bos: bool = True) -> None:
        """``bos``: whether the prompt carries ``<|begin_of_text|>`` itself. Turn it off for
        backends that tokenize with special tokens added (vLLM's engine and vLLM serve's
        /v1/completions add BOS to a text prompt); a doubled BOS degrades the verdicts."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.completer = completer
        self.policy = policy or GuardPolicy.load()
        self.cache: VerdictCache[Verdict] = cache if cache is not None else VerdictCache()
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.bos = bos
        self._codes = {stage: {c.code: c for c in self.policy.asked(stage)}
                       for stage in ("call", "content")}
        self.calls = 0  # backend batches sent, for tests and the bench

    @property
    def name(self) -> str:
        return GUARD_NAME

    @property
    def model(self) -> str:
        return str(self.completer.model)

    # Prompts ------------------------------------------------------------------------------

    def _context(self, call: ToolCall) -> str:
        return self.policy.call_context.format(agent=call.agent or "assistant",
                                               task=call.task or "summarize the documents")

    def prompt(self, stage: Stage, turns: Sequence[Turn]) -> str:
        return render_prompt(self.policy.asked(stage), turns, bos=self.bos)

    def call_prompt(self, call: ToolCall) -> str:
        return self.prompt("call", [("User", self._context(call)), ("Agent", render_call(call))])

    def result_prompt(self, call: ToolCall, result: str) -> str:
        return self.prompt("content", [("User", self._context(call)),
                                       ("Agent", render_call(call)), ("User", result)])

    def content_prompt(self, text: str) -> str:
        return self.prompt("content", [("User", text)])

    # Screening ----------------------------------------------------------------------------

    def _key(self, prompt: str) -> str:
        return content_key(self.model, self.policy.fingerprint, prompt)

    def verdicts(self, prompts: Sequence[str],
                 metadata: Mapping[str, str] | None = None) -> list[tuple[Outcome, bool]]:
        """(verdict or the error it met, whether it came from the cache) per prompt. Prompts
        not in the cache go to the backend, ``batch_size`` at a time; duplicates once."""
        out: list[tuple[Outcome, bool] | None] = [None] * len(prompts)
        todo: dict[str, list[int]] = {}
        for i, prompt in enumerate(prompts):
            found = self.cache.get(self._key(prompt))
            if found is not None:
                out[i] = (found, True)
            else:
                todo.setdefault(prompt, []).append(i)
        pending = list(todo)
        for start in range(0, len(pending), self.batch_size):
            batch = pending[start:start + self.batch_size]
            self.calls += 1
            results: list[Outcome]
            try:
                answers = self.completer.complete(batch, max_tokens=self.max_tokens,
                                                  metadata=metadata)
                if len(answers) != len(batch):
                    raise RuntimeError(f"the guard backend answered {len(answers)} "
                                       f"prompts of {len(batch)}")
                results = []
                for prompt, answer in zip(batch, answers, strict=True):
                    try:
                        verdict = parse_verdict(answer.text)
                    except GuardOutputError as exc:
                        results.append(exc)
                        continue
                    self.cache.put(self._key(prompt), verdict)
                    results.append(verdict)
            except Exception as exc:
                results = [exc] * len(batch)
            for prompt, outcome in zip(batch, results, strict=True):
                for i in todo[prompt]:
                    out[i] = (outcome, False)
        return [item for item in out if item is not None]

    def decide(self, stage: Stage, outcome: Outcome, cached: bool = False) -> GuardDecision:
        model = self.model
        if isinstance(outcome, GuardOutputError):
            return GuardDecision.reject(f"Llama Guard gave no verdict ({outcome}); blocked",
                                        ["guard_unparseable"], guard=self.name, model=model)
        if isinstance(outcome, BaseException):
            return GuardDecision.reject(f"the Llama Guard backend failed "
                                        f"({type(outcome).__name__}); blocked",
                                        ["guard_error"], guard=self.name, model=model)
        if outcome.safe:
            return GuardDecision.allow(guard=self.name, model=model, cached=cached)
        if not outcome.categories:
            return GuardDecision.reject("Llama Guard: unsafe, no category given",
                                        ["unsafe"], guard=self.name, model=model, cached=cached)
        asked = self._codes[stage]
        unknown = [c for c in outcome.categories if c not in asked]
        if unknown:
            return GuardDecision.reject(f"Llama Guard named categories it was not asked about "
                                        f"({', '.join(unknown)}); blocked", list(unknown),
                                        guard=self.name, model=model, cached=cached)
        found = [asked[c] for c in outcome.categories]
        reason = "Llama Guard: " + ", ".join(f"{c.code} {c.name}" for c in found)
        codes = [c.code for c in found]
        actions = {c.action(stage) for c in found}
        if "halt" in actions:
            return GuardDecision.halt(reason, codes, guard=self.name, model=model, cached=cached)
        if "block" in actions:
            return GuardDecision.reject(reason, codes, guard=self.name, model=model,
                                        cached=cached)
        return GuardDecision.allow(guard=self.name, categories=codes, reason=reason,
                                   model=model, cached=cached)

    def _one(self, stage: Stage, prompt: str, call: ToolCall) -> GuardDecision:
        meta = {"agent": "guard", "task": f"{stage}:{call.tool}"}
        ((outcome, cached),) = self.verdicts([prompt], meta)
        return self.decide(stage, outcome, cached)

    def screen_call(self, call: ToolCall) -> GuardDecision:
        return self._one("call", self.call_prompt(call), call)

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        return self._one("content", self.result_prompt(call, result), call)

    def screen_texts(self, texts: Sequence[str]) -> list[GuardDecision]:
        """Document text, each as a lone User turn, in batches; one decision per text."""
        prompts = [self.content_prompt(text) for text in texts]
        return [self.decide("content", outcome, cached)
                for outcome, cached in self.verdicts(prompts, {"agent": "guard",
                                                               "task": "document"})]

