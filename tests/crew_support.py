"""A one-agent CrewAI crew with one real tool, driven by a scripted LLM through the bridge."""

from __future__ import annotations

from typing import Any

from crewai import Agent, Crew, CrewOutput, Task
from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from lexgraph.agents.llm_bridge import CrewLLMBridge, UsageLedger
from lexgraph.core.llm import LLMClient


class ClauseQuery(BaseModel):
    clause: str = Field(description="Which clause to look up, e.g. 'termination'.")


class LookupClause(BaseTool):
    """Returns a fixed clause text and remembers every input it was run with."""

    name: str = "lookup_clause"
    description: str = "Look up a clause of the agreement by topic."
    args_schema: type[BaseModel] = ClauseQuery
    reply: str = "[nda:2:1] Either party may terminate on thirty days' notice. OBS-7731"
    runs: list[dict[str, Any]] = Field(default_factory=list)

    def _run(self, clause: str) -> str:
        self.runs.append({"clause": clause})
        return self.reply


def action(tool: str, args: str, thought: str = "I should look that up.") -> str:
    return f"Thought: {thought}\nAction: {tool}\nAction Input: {args}"


def final(answer: str) -> str:
    return f"Thought: I now know the final answer\nFinal Answer: {answer}"


def build_crew(client: LLMClient, tool: BaseTool, *, role: str = "retriever",
               ledger: UsageLedger | None = None) -> Crew:
    bridge = CrewLLMBridge(client, ledger=ledger)
    agent = Agent(role=role, goal="Find the clauses the summary needs.",
                  backstory="You read agreements for a law firm.", llm=bridge, tools=[tool],
                  verbose=False, max_iter=4, cache=False,
                  # A failed task is the graph's to retry or resume; CrewAI re-running it
                  # from the start would repeat tool calls and multiply backend retries.
                  max_retry_limit=0)
    task = Task(description="Find the termination clause of the agreement.",
                expected_output="The termination clause, quoted.", agent=agent)
    return Crew(agents=[agent], tasks=[task], verbose=False)


def kickoff(crew: Crew) -> str:
    output = crew.kickoff()
    assert isinstance(output, CrewOutput)
    return output.raw
