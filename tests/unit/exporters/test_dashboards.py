"""Dashboards as code: every query reads finsentry's own metrics (or ``up``), and the JSON
files are written under the dashboards' names."""

from __future__ import annotations

import re

from exporters.dashboards import build_dashboards, panel_queries, write_dashboards

_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # snake_case: metric names, some functions
_FUNCTIONS = {"histogram_quantile", "label_replace", "label_values", "count_over_time"}


def test_every_panel_queries_only_finsentry_metrics_and_the_files_are_written(tmp_path):
    dashboards = build_dashboards()
    assert {"finsentry-overview.json", "finsentry-sentiment.json"} <= set(dashboards)
    for model in dashboards.values():
        queries = panel_queries(model)
        assert queries
        for title, expr in queries:
            bare = re.sub(r'"[^"]*"', '""', expr)  # label values are not metric names
            names = set(_NAME.findall(bare)) - _FUNCTIONS
            names |= {"up"} if re.search(r"\bup\b", bare) else set()
            assert names, (title, expr)
            assert all(n.startswith("finsentry_") or n == "up" for n in names), (title, expr)
    paths = write_dashboards(tmp_path)
    assert {p.name for p in paths} == set(dashboards)
