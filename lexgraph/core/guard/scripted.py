"""``ScriptedGuard``: the test double of a guard. It answers from a script and records what
it was asked to screen.

``calls`` / ``results`` are each either a sequence of answers, used in order, or a function of
what is screened; an answer is a ``GuardDecision`` or an exception to raise (a guard that
fails). Left out, the stage allows everything. A sequence that runs out raises, so a test
notices a screening it did not plan for, and the hook blocks it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from lexgraph.core.errors import LexgraphError
from lexgraph.core.guard.base import GuardDecision, ToolCall

Answer = GuardDecision | BaseException
CallScript = Sequence[Answer] | Callable[[ToolCall], Answer]
ResultScript = Sequence[Answer] | Callable[[ToolCall, str], Answer]


class GuardScriptExhausted(LexgraphError):
    pass


@dataclass(frozen=True)
class Screened:
    stage: Literal["call", "result"]
    call: ToolCall
    result: str | None = None


class ScriptedGuard:
    def __init__(self, *, calls: CallScript | None = None, results: ResultScript | None = None,
                 name: str = "scripted") -> None:
        self._name = name
        self._calls = calls if callable(calls) or calls is None else deque(calls)
        self._results = results if callable(results) or results is None else deque(results)
        self._lock = threading.Lock()
        self.screened: list[Screened] = []

    @property
    def name(self) -> str:
        return self._name

    def _answer(self, script: object, stage: str, *args: object) -> GuardDecision:
        if script is None:
            answer: Answer = GuardDecision.allow(guard=self._name)
        elif isinstance(script, deque):
            with self._lock:
                if not script:
                    raise GuardScriptExhausted(f"the scripted guard has no answer left for "
                                               f"{stage} screening {len(self.screened)}")
                answer = script.popleft()
        else:
            answer = script(*args)  # type: ignore[operator]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def screen_call(self, call: ToolCall) -> GuardDecision:
        with self._lock:
            self.screened.append(Screened("call", call))
        return self._answer(self._calls, "call", call)

    def screen_result(self, call: ToolCall, result: str) -> GuardDecision:
        with self._lock:
            self.screened.append(Screened("result", call, result))
        return self._answer(self._results, "result", call, result)
