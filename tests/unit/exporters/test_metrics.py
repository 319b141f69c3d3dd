"""The metrics bundle: bounded labels, and ``promtool check metrics`` finds nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporters.collectors import register_consumer_lag, register_pipeline_batches
from exporters.metrics import OTHER, Metrics, SubjectLabels


def _populated() -> bytes:
    registry = CollectorRegistry()
    m = Metrics.create(registry)
    m.consumed.labels("news").inc(3)
    m.scored.labels("news", "negative").inc()
    m.rejected.labels("transaction", "bad_amount").inc()
    m.dead_letters.labels("transaction").inc()
    m.last_record.labels("news").set(1.7e9)
    m.duplicates.inc()
    m.late.inc()
    m.topic_records.labels("news", "ticker:AAPL").inc()
    m.batch_size.labels("news").observe(32)
    m.inference_seconds.labels("news").observe(0.08)
    m.e2e_seconds.labels("news").observe(0.4)
    m.window_records.labels("ticker:AAPL", "hopping").set(12)
    m.window_mean_score.labels("ticker:AAPL", "hopping").set(-0.2)
    m.window_class_records.labels("ticker:AAPL", "hopping", "negative").set(4)
    m.window_negative_share.labels("ticker:AAPL", "hopping").set(0.33)
    m.window_high_risk_share.labels("merchant:crypto", "tumbling").set(0.5)
    m.window_amount_usd.labels("merchant:crypto", "tumbling").set(1200.5)
    m.alert_transitions.labels("negative_surge", "firing").inc()
    m.alert_firing.labels("negative_surge", "ticker:AAPL").set(1)
    m.deliveries.labels("alertmanager", "ok").inc()
    m.delivery_seconds.labels("alertmanager").observe(0.02)
    m.delivery_queue.set(0)
    register_consumer_lag(registry, lambda: [(("news", "0"), 10)])
    register_pipeline_batches(registry, lambda: [(("news",), 3)])
    m.model.info({"version": "v1", "variant": "int8", "provider": "CPUExecutionProvider"})
    return generate_latest(registry)


def test_promtool_check_metrics_is_clean():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: apt-get install prometheus (CI installs it)")
    text = _populated()
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == b"" and result.stderr.strip() == b""
    for name in (
        b"finsentry_records_consumed_total",
        b"finsentry_model_info",
        b"finsentry_window_mean_score",
        b"finsentry_consumer_lag_records",
        b"finsentry_pipeline_batches",
    ):
        assert name in text


def test_subject_labels_are_bounded():
    labels = SubjectLabels(["ticker:AAPL"], limit=2)
    assert labels.label("ticker:AAPL") == "ticker:AAPL"
    assert labels.label("account:acct_123") == OTHER  # never a label value
    assert labels.label("merchant:a") == "merchant:a"
    assert labels.label("merchant:b") == "merchant:b"
    assert labels.label("merchant:c") == OTHER
    assert labels.label("merchant:a") == "merchant:a"  # admitted subjects stay admitted
    assert labels.label("ticker:AAPL") == "ticker:AAPL"  # the watchlist is always in
    assert not labels.exported("merchant:c")
