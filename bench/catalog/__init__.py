"""Catalog benchmark: search and home page latency over a generated catalog of 10,000 tools,
under an open-loop load. Run it with `python -m bench.catalog` (docs/bench-catalog.md)."""
