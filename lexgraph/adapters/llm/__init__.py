"""Model backends: any OpenAI-compatible server over httpx, transformers in process, and the
vLLM engine on GPU workers."""
