"""The three CrewAI agents of a summary job and the one-task crews that run them.

Roles, goals, backstories and task texts come from ``prompts/agents.yaml``. Each agent's model
calls go through ``CrewLLMBridge`` (so usage lands in the job's ledger) and its tool calls
through the guard hook (the caller runs these inside ``guarded()``). Agents answer in JSON,
which is parsed and validated here; an answer that does not parse is a ``JobError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from crewai import Agent, Crew, Task
from crewai.tools import BaseTool
from jinja2 import Environment, StrictUndefined
from pydantic import BaseModel, ValidationError

from lexgraph.agents.llm_bridge import CrewLLMBridge, UsageLedger
from lexgraph.core.errors import JobError
from lexgraph.core.llm import LLMClient
from lexgraph.core.prompts import load_yaml
from lexgraph.core.summary.profiles import Profile
from lexgraph.core.summary.schema import Section
from lexgraph.core.tracing import span
from lexgraph.core.vectorstore.base import Passage
from lexgraph.tools import tool_tracing

_JINJA = Environment(undefined=StrictUndefined, autoescape=False, trim_blocks=False)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
M = TypeVar("M", bound=BaseModel)


class RetrievalPlan(BaseModel):
    sections: dict[str, list[str]]


class DraftStatement(BaseModel):
    text: str
    citations: list[str]


class DraftSection(BaseModel):
    key: str
    statements: list[DraftStatement]


class Draft(BaseModel):
    sections: list[DraftSection]


class Review(BaseModel):
    verdict: str
    findings: list[str] = []


def parse_answer(text: str, model: type[M], agent: str) -> M:
    """The JSON object in an agent's final answer, validated; tolerant of prose around it."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise JobError("agent_output", f"the {agent} answered without a JSON object")
    try:
        raw: Any = json.loads(match.group(0))
        if model is RetrievalPlan and "sections" not in raw:
            raw = {"sections": raw}
        return model.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        raise JobError("agent_output", f"the {agent}'s answer is not valid: {exc}") from None


@dataclass
class AgentKit:
    """Builds a job's agents around one model client and one usage ledger."""

    client: LLMClient
    ledger: UsageLedger
    profile: Profile
    instructions: str | None = None
    context_window: int = 8192
    max_iter: int = 8

    def _spec(self, name: str) -> dict[str, str]:
        spec: dict[str, str] = load_yaml("agents.yaml")[name]
        return spec

    def _agent(self, name: str, tools: Sequence[BaseTool]) -> Agent:
        spec = self._spec(name)
        title = self.profile.title.lower()
        return Agent(
            role=spec["role"], goal=spec["goal"].format(profile=title),
            backstory=spec["backstory"], tools=list(tools),
            llm=CrewLLMBridge(self.client, ledger=self.ledger,
                              context_window=self.context_window),
            verbose=False, allow_delegation=False, cache=False, max_iter=self.max_iter,
            # A failed task is the graph's to retry or resume: CrewAI re-running it would
            # repeat tool calls and multiply backend retries.
            max_retry_limit=0,
            # Large tool results must not be spilled to temporary files: document text
            # stays in memory and in the job's checkpoints only.
            use_better_compaction=False,
        )

    def _run(self, name: str, tools: Sequence[BaseTool], **context: Any) -> str:
        spec = self._spec(name)
        agent = self._agent(name, tools)
        description = _JINJA.from_string(spec["task"]).render(
            profile_title=self.profile.title.lower(), sections=self.profile.sections,
            instructions=self.instructions, **context)
        task = Task(description=description, expected_output=spec["expected_output"],
                    agent=agent)
        tool_tracing.install()
        # The agent's run in the job's trace: its task as given, its final answer, and its
        # model and tool calls as children.
        with span(f"agent: {spec['role']}", inputs={"task": description},
                  agent=name, role=spec["role"], tools=[t.name for t in tools]) as run:
            output = Crew(agents=[agent], tasks=[task], verbose=False).kickoff()
            answer = str(getattr(output, "raw", output))
            run.finish({"answer": answer})
        return answer

    def retrieve(self, search: BaseTool, facts: Sequence[Mapping[str, str]] = ()
                 ) -> dict[str, list[str]]:
        answer = self._run("retriever", [search], facts=list(facts))
        return parse_answer(answer, RetrievalPlan, "retriever").sections

    def summarize(self, passages: Mapping[str, Sequence[Passage]],
                  findings: Sequence[str] = (), facts: Sequence[Mapping[str, str]] = ()
                  ) -> Draft:
        answer = self._run("summarizer", [], passages=passages, findings=list(findings),
                           facts=list(facts))
        return parse_answer(answer, Draft, "summarizer")

    def review(self, draft: Sequence[Section], tools: Sequence[BaseTool]) -> Review:
        answer = self._run("compliance", tools, draft=draft)
        review = parse_answer(answer, Review, "compliance checker")
        if review.verdict not in ("pass", "revise", "escalate"):
            raise JobError("agent_output",
                           f"the compliance checker's verdict {review.verdict!r} is not "
                           "pass, revise or escalate")
        return review
