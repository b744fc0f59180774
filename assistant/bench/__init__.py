"""Benchmarks (``python -m assistant.bench``, ``python -m assistant.bench.dialogue``) and the synthetic city
catalogue they run on; not imported by the product."""
