"""Benchmarks that print a table and write JSON: ``model`` (engines side by side), ``stream``
(the worker end to end against bare ``score_batch``), ``rescore`` (throughput and memory),
``lifecycle`` (shadow scoring's cost, a model swap under load)."""
