"""Prometheus metrics and alert delivery."""
