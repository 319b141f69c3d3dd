"""Gauges whose values live elsewhere, read when Prometheus scrapes (not pushed by a timer).

``consumer_lag`` reads the worker's consumer (fetched high-water mark minus committed offset per
assigned input partition); ``pipeline_batches`` reads the input pipelines' batches in flight;
the drift gauges read the worker's drift monitor (PSI against the serving model's reference,
input signals); the window state gauges read the windows handler's key stores.
Each is a :class:`CallbackCollector` registered on the registry passed in: the callback runs
in the scraping thread, so it must only read; a callback that fails yields no samples (logged
at debug level) rather than failing the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = [
    "CallbackCollector",
    "Samples",
    "register_consumer_lag",
    "register_drift",
    "register_pipeline_batches",
    "register_window_state",
]

log = logging.getLogger(__name__)

Samples = Iterable[tuple[Sequence[str], float]]  # (label values, value)


class CallbackCollector(Collector):
    """One gauge family whose samples come from ``read()`` at scrape time."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], read: Callable[[], Samples]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = list(labels)
        self._read = read

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, self.documentation, labels=self.labels)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        try:
            for values, value in list(self._read()):
                family.add_metric([str(v) for v in values], float(value))
        except Exception as exc:  # noqa: BLE001 - a scrape must never fail on a reader
            log.debug("%s not available: %s", self.name, exc)
        yield family


def register_consumer_lag(
    registry: CollectorRegistry, read: Callable[[], Samples], prefix: str = "finsentry"
) -> CallbackCollector:
    """``{prefix}_consumer_lag_records{topic (role), partition}``."""
    collector = CallbackCollector(
        f"{prefix}_consumer_lag_records",
        "Fetched high-water mark minus committed offset",
        ["topic", "partition"],
        read,
    )
    registry.register(collector)
    return collector


def register_pipeline_batches(
    registry: CollectorRegistry, read: Callable[[], Samples], prefix: str = "finsentry"
) -> CallbackCollector:
    """``{prefix}_pipeline_batches{kind}``."""
    collector = CallbackCollector(
        f"{prefix}_pipeline_batches",
        "Input micro-batches between hand-over and commit (at most "
        "FINSENTRY_BATCHES_IN_FLIGHT: always there means scoring is the bottleneck)",
        ["kind"],
        read,
    )
    registry.register(collector)
    return collector


def register_drift(
    registry: CollectorRegistry,
    psi: Callable[[], Samples],
    inputs: Callable[[], Samples],
    records: Callable[[], Samples],
    prefix: str = "finsentry",
) -> list[CallbackCollector]:
    """``{prefix}_score_drift_psi{kind, measure}`` (measure: score, class),
    ``{prefix}_input_drift_signal{kind, signal}`` and ``{prefix}_drift_window_records{kind}``."""
    collectors = [
        CallbackCollector(
            f"{prefix}_score_drift_psi",
            "Population stability index of the last scored records against the serving "
            "model's validation reference (score histogram, predicted class shares)",
            ["kind", "measure"],
            psi,
        ),
        CallbackCollector(
            f"{prefix}_input_drift_signal",
            "Input signals over the same records: unknown_token_share, mean_text_chars",
            ["kind", "signal"],
            inputs,
        ),
        CallbackCollector(
            f"{prefix}_drift_window_records",
            "Scored records the drift gauges are computed over",
            ["kind"],
            records,
        ),
    ]
    for collector in collectors:
        registry.register(collector)
    return collectors


def register_window_state(
    registry: CollectorRegistry,
    keys: Callable[[], Samples],
    packed_bytes: Callable[[], float],
    prefix: str = "finsentry",
) -> list[CallbackCollector]:
    """``{prefix}_window_keys{state}`` (hot: decoded, packed: quiet keys held packed) and
    ``{prefix}_window_packed_bytes``."""
    collectors = [
        CallbackCollector(
            f"{prefix}_window_keys",
            "Subject keys in window state: hot (decoded) or packed (quiet, held as bytes)",
            ["state"],
            keys,
        ),
        CallbackCollector(
            f"{prefix}_window_packed_bytes",
            "Bytes of the packed keys and their states",
            [],
            lambda: [((), packed_bytes())],
        ),
    ]
    for collector in collectors:
        registry.register(collector)
    return collectors
