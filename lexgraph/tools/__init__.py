"""CrewAI tools the agents may call, each a thin wrapper over a ``core`` service, and the guard
hook (``guard_hook``) that every tool call of every agent passes through."""
