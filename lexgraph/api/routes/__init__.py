"""Route modules: each only parses, calls core, and shapes the response."""
