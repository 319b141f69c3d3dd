"""The worker's Prometheus metrics, created once from a registry passed in."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

__all__ = ["Metrics"]

_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass(frozen=True)
class Metrics:
    consumed: Counter
    scored: Counter
    rejected: Counter
    duplicates: Counter
    late: Counter
    batch_size: Histogram
    inference_seconds: Histogram
    e2e_seconds: Histogram
    alert_transitions: Counter
    alert_firing: Gauge
    model: Info

    @classmethod
    def create(cls, registry: CollectorRegistry, prefix: str = "finsentry") -> Metrics:
        p = prefix
        return cls(
            consumed=Counter(
                f"{p}_records_consumed",
                "Records read from input topics",
                ["kind"],
                registry=registry,
            ),
            scored=Counter(
                f"{p}_records_scored",
                "Records scored and published",
                ["kind", "label"],
                registry=registry,
            ),
            rejected=Counter(
                f"{p}_records_rejected",
                "Records sent to the dead-letter topic, by reason",
                ["kind", "reason"],
                registry=registry,
            ),
            duplicates=Counter(
                f"{p}_window_duplicates_skipped",
                "Redelivered contributions skipped by the windows",
                registry=registry,
            ),
            late=Counter(
                f"{p}_window_late_records", "Records older than window retention", registry=registry
            ),
            batch_size=Histogram(
                f"{p}_inference_batch_size",
                "Texts per inference call",
                ["kind"],
                buckets=_BATCH_BUCKETS,
                registry=registry,
            ),
            inference_seconds=Histogram(
                f"{p}_inference_seconds",
                "Wall time of one inference call",
                ["kind"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            e2e_seconds=Histogram(
                f"{p}_produce_to_scored_seconds",
                "From the input record's Kafka timestamp to its score sent",
                ["kind"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            alert_transitions=Counter(
                f"{p}_alert_transitions",
                "Alert state changes",
                ["rule", "state"],
                registry=registry,
            ),
            alert_firing=Gauge(
                f"{p}_alerts_firing",
                "Alerts currently firing, by rule",
                ["rule"],
                registry=registry,
            ),
            model=Info(f"{p}_model", "The model serving scores", registry=registry),
        )
