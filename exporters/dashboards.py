"""Grafana dashboards as code (grafana-foundation-sdk); ``finsentry dashboards`` writes the
JSON that ``deploy/grafana/dashboards/`` commits and Grafana provisions.

Every panel query uses only finsentry's metrics and ``up``; ``$topic`` and
``$__rate_interval`` are the only template variables (the integration test substitutes them and
runs every query against a real Prometheus).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.statetimeline import Panel as StatePanel
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, GridPos

__all__ = ["DATASOURCE_UID", "build_dashboards", "panel_queries", "write_dashboards"]

DATASOURCE_UID = "finsentry-prometheus"
_DS = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
_RATE = "[$__rate_interval]"


def _query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> Any:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)
    return q.instant() if instant else q.range()


def _ts(title: str, unit: str, *queries: Any, x: int = 0, y: int = 0, w: int = 12) -> Any:
    panel = timeseries.Panel().title(title).datasource(_DS).unit(unit)
    for q in queries:
        panel = panel.with_target(q)
    return panel.grid_pos(GridPos(h=8, w=w, x=x, y=y))


def _topic_variable(regex: str) -> Any:
    return (
        dashboard.QueryVariable("topic")
        .label("topic")
        .datasource(_DS)
        .query(f'label_values(finsentry_window_records{{topic=~"{regex}"}}, topic)')
        .multi(True)
        .include_all(True)
        .all_value(regex)
    )


def _board(title: str, uid: str, topic_regex: str | None = None) -> Any:
    """A finsentry dashboard: tag, refresh, last hour, and the ``$topic`` variable if any."""
    board = (
        dashboard.Dashboard(title).uid(uid).tags(["finsentry"]).refresh("10s").time("now-1h", "now")
    )
    return board.with_variable(_topic_variable(topic_regex)) if topic_regex else board


def _overview() -> Any:
    q = _query
    return (
        _board("finsentry — overview", "finsentry-overview")
        .with_panel(_ts("Records consumed / s", "reqps",
            q(f"sum by (kind) (rate(finsentry_records_consumed_total{_RATE}))", "{{kind}}")))
        .with_panel(_ts("Records scored / s by label", "reqps",
            q(f"sum by (kind, label) (rate(finsentry_records_scored_total{_RATE}))",
              "{{kind}} {{label}}"), x=12))
        .with_panel(_ts("Produce → scored latency", "s",
            q("histogram_quantile(0.5, sum by (le, kind) "
              f"(rate(finsentry_produce_to_scored_seconds_bucket{_RATE})))", "p50 {{kind}}"),
            q("histogram_quantile(0.99, sum by (le, kind) "
              f"(rate(finsentry_produce_to_scored_seconds_bucket{_RATE})))", "p99 {{kind}}", "B"),
            y=8))
        .with_panel(_ts("Inference: p99 per call and mean batch", "s",
            q("histogram_quantile(0.99, sum by (le, kind) "
              f"(rate(finsentry_inference_duration_seconds_bucket{_RATE})))", "p99 {{kind}}"),
            q(f"sum by (kind) (rate(finsentry_inference_batch_size_sum{_RATE})) / sum by (kind) "
              f"(rate(finsentry_inference_batch_size_count{_RATE}))", "batch {{kind}}", "B"),
            x=12, y=8))
        .with_panel(_ts("Consumer lag (records)", "short",
            q("sum by (topic) (finsentry_consumer_lag_records)", "{{topic}}"), y=16))
        .with_panel(_ts("Rejected / s by reason (dead letters)", "reqps",
            q(f"sum by (kind, reason) (rate(finsentry_records_rejected_total{_RATE}))",
              "{{kind}} {{reason}}"), x=12, y=16))
        .with_panel(stat.Panel().title("Workers up").datasource(_DS)
            .with_target(q('sum(up{job="finsentry"})', instant=True))
            .grid_pos(GridPos(h=5, w=6, x=0, y=24)))
        .with_panel(table.Panel().title("Model and execution provider").datasource(_DS)
            .with_target(q("finsentry_model_info", instant=True))
            .grid_pos(GridPos(h=5, w=18, x=6, y=24)))
        .with_panel(_ts("Alert pushes / s by outcome", "reqps",
            q(f"sum by (receiver, outcome) (rate(finsentry_alert_deliveries_total{_RATE}))",
              "{{receiver}} {{outcome}}"), y=29))
        .with_panel(_ts("Input batches in flight (at the limit: scoring is the bottleneck)",
            "short", q("sum by (kind) (finsentry_pipeline_batches)", "{{kind}}"), x=12, y=29))
    )  # fmt: skip


def _sentiment() -> Any:
    q = _query
    sel = 'topic=~"$topic"'
    return (
        _board("finsentry — news sentiment", "finsentry-sentiment",
               "(ticker|company|sector|event|macro|country|commodity|topic):.*")
        .with_panel(_ts("Mean signed score (hopping window)", "short",
            q(f'finsentry_window_mean_score{{window="hopping", {sel}}}', "{{topic}}")))
        .with_panel(_ts("Negative share (hopping window)", "percentunit",
            q(f'finsentry_window_negative_share{{window="hopping", {sel}}}', "{{topic}}"),
            x=12))
        .with_panel(_ts("Class counts (latest pane)", "short",
            q(f'sum by (class) (finsentry_window_class_records{{window="tumbling", {sel}, '
              'class=~"negative|neutral|positive"})', "{{class}}"), y=8))
        .with_panel(_ts("News per minute by topic", "short",
            q(f'sum by (topic) (rate(finsentry_topic_records_total{{kind="news", {sel}}}{_RATE}))'
              " * 60", "{{topic}}"), x=12, y=8))
        .with_panel(StatePanel().title("Alert state (1 = firing)").datasource(_DS)
            .with_target(q('max by (rule, topic) (finsentry_alert_firing{rule=~'
                           '"negative_surge|sentiment_drop"})', "{{rule}} {{topic}}"))
            .grid_pos(GridPos(h=8, w=24, x=0, y=16)))
        .with_panel(_ts("Stories in the latest pane: all vs first (syndicated copies are not "
                        "news)", "short",
            q(f'finsentry_window_records{{window="tumbling", {sel}}}', "all {{topic}}"),
            q(f'finsentry_window_novel_records{{window="tumbling", {sel}}}', "first {{topic}}"),
            y=24, w=24))
    )  # fmt: skip


def _transactions() -> Any:
    q = _query
    sel = 'topic=~"$topic"'
    return (
        _board("finsentry — transaction risk", "finsentry-transactions",
               "(merchant|counterparty_country):.*")
        .with_panel(_ts("High-risk share (hopping window)", "percentunit",
            q(f'finsentry_window_high_risk_share{{window="hopping", {sel}}}', "{{topic}}")))
        .with_panel(_ts("Mean expected risk (hopping window)", "short",
            q(f'finsentry_window_mean_score{{window="hopping", {sel}}}', "{{topic}}"), x=12))
        .with_panel(_ts("Amount in the latest pane (USD)", "currencyUSD",
            q(f'finsentry_window_amount_usd{{window="tumbling", {sel}}}', "{{topic}}"), y=8))
        .with_panel(_ts("Risk classes (latest pane)", "short",
            q(f'sum by (class) (finsentry_window_class_records{{window="tumbling", {sel}, '
              'class=~"low|medium|high"})', "{{class}}"), x=12, y=8))
        .with_panel(StatePanel().title("Risk-spike alerts (1 = firing)").datasource(_DS)
            .with_target(q('max by (topic) (finsentry_alert_firing{rule="risk_spike"})',
                           "{{topic}}"))
            .grid_pos(GridPos(h=8, w=24, x=0, y=16)))
    )  # fmt: skip


def _per_kind(numerator: str, denominator: str) -> str:
    """The ratio of two counters' rates per kind (a share, or a summary's mean)."""
    return f"sum by (kind) (rate({numerator}{_RATE})) / sum by (kind) (rate({denominator}{_RATE}))"


def _model() -> Any:
    q = _query
    return (
        _board("finsentry — model", "finsentry-model")
        .with_panel(_ts("Score drift: PSI vs the model's validation reference (alert > 0.25)",
            "short", q("max by (kind, measure) (finsentry_score_drift_psi)",
                       "{{kind}} {{measure}}")))
        .with_panel(_ts("Input signals: [UNK] word-piece share", "percentunit",
            q('max by (kind) (finsentry_input_drift_signal{signal="unknown_token_share"})',
              "{{kind}}"), x=12))
        .with_panel(_ts("Input signals: mean model-text length", "short",
            q('max by (kind) (finsentry_input_drift_signal{signal="mean_text_chars"})',
              "{{kind}}"), y=8))
        .with_panel(_ts("Model swaps (registry promotions acted on)", "short",
            q("sum by (outcome) (finsentry_model_swaps_total)", "{{outcome}}"), x=12, y=8))
        .with_panel(_ts("Shadow model: agreement with the serving model", "percentunit",
            q(_per_kind("finsentry_shadow_agreements_total", "finsentry_shadow_records_total"),
              "{{kind}}"), y=16))
        .with_panel(_ts("Shadow model: label flips / s (serving → shadow)", "reqps",
            q(f"sum by (kind, serving, shadow) (rate(finsentry_shadow_label_flips_total{_RATE}))",
              "{{kind}} {{serving}} → {{shadow}}"), x=12, y=16))
        .with_panel(_ts("Shadow model: mean score shift (shadow − serving)", "short",
            q(_per_kind("finsentry_shadow_score_shift_sum", "finsentry_shadow_score_shift_count"),
              "{{kind}}"), y=24))
        .with_panel(_ts("Analyst feedback / s", "reqps",
            q(f"sum by (kind, outcome) (rate(finsentry_feedback_records_total{_RATE}))",
              "{{kind}} {{outcome}}"), x=12, y=24))
        .with_panel(table.Panel().title("Serving model per worker").datasource(_DS)
            .with_target(q("finsentry_model_info", instant=True))
            .grid_pos(GridPos(h=6, w=24, x=0, y=32)))
    )  # fmt: skip


def build_dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON model."""
    encoder = JSONEncoder(sort_keys=True)
    out = {}
    for builder in (_overview(), _sentiment(), _transactions(), _model()):
        model = orjson.loads(encoder.encode(builder.build()))
        out[f"{model['uid']}.json"] = model
    return out


def panel_queries(model: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL expression) of every target of a dashboard."""
    return [
        (panel["title"], target["expr"])
        for panel in model.get("panels", [])
        for target in panel.get("targets", [])
    ]


def write_dashboards(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in build_dashboards().items():
        path = directory / name
        path.write_bytes(orjson.dumps(model, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        paths.append(path)
    return paths
