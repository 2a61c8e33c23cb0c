"""Benchmarks of the engine: `python -m inference.bench` (see __main__.py for the options).

phases: the timed runs (plain `generate`, a static batch, `generate_batch`, the engine);
report: their measurements, the printed table and the saved JSON / PNG;
micro: one decode step per forward; diag: the low-level measurements behind the design.
prompts.json holds the prompts used when ../shared/bench/prompts.json is absent.
"""
