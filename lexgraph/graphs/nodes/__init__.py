"""The graph's nodes, one module each, named as the graph names them: ingest,
screen_documents, redact, retrieve, summarize, check_compliance, human_review, finalize.

With no LLM configured (extractive mode) the same nodes run: retrieval and checks are
unchanged, and the summary is verbatim source sentences chosen by embedding similarity.
With an LLM, the CrewAI agents do the retrieval, writing and reviewing; the deterministic
checks still run and can only make the compliance verdict stricter.
"""
