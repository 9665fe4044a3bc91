"""LangGraph state, nodes, graph builder, checkpointers and the job runner.

The graph's thread id is the job id; a checkpoint is written after every node (durability
"sync"), so a run interrupted anywhere resumes after the last finished node.
"""
