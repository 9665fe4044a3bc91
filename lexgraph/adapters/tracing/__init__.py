"""The LangSmith tracer (the only module that imports the LangSmith SDK)."""
