"""Stack benchmark: concurrent users over HTTP + SSE through the whole stack against the engine
alone. Run it with `python -m bench.stack` (docs/bench-stack.md)."""
