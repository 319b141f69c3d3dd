"""The worker's Prometheus metrics, created once from a registry passed in.

Every name carries its base unit (``_seconds``, ``_usd``, ``_records``) and counters end in
``_total``. Labels are bounded: ``kind`` (news, transaction), ``reason`` (the parser's fixed
list), ``rule`` (the rules file), ``topic`` (a subject key, see ``SubjectLabels``; the label
keeps its published name), ``window`` (tumbling, hopping), ``class`` (the model's labels),
``partition`` (the partition count). Gauges read at scrape time (consumer lag, batches in
flight) are collectors: :mod:`exporters.collectors`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, Summary

__all__ = ["OTHER", "Metrics", "SubjectLabels"]

OTHER = "other"
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_DELIVERY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class SubjectLabels:
    """Bounded ``topic`` label values for subject keys: the watchlist's tickers and sectors
    always, then the first ``limit`` other subjects seen (merchants, countries, ...), and
    ``other`` after that. Account subjects are never labels: they are per person and
    unbounded."""

    def __init__(self, always: Iterable[str], limit: int) -> None:
        self._always = frozenset(always)
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, subject: str) -> str:
        if subject in self._always or subject in self._seen:
            return subject
        if subject.startswith("account:"):
            return OTHER
        with self._lock:
            if len(self._seen) < self._limit:
                self._seen.add(subject)
                return subject
        return OTHER

    def exported(self, subject: str) -> bool:
        """Whether ``subject`` has its own window gauges (``other`` does not: a mean of
        unrelated subjects means nothing)."""
        return self.label(subject) != OTHER


@dataclass(frozen=True)
class Metrics:
    consumed: Counter
    scored: Counter
    rejected: Counter
    dead_letters: Counter
    last_record: Gauge
    duplicates: Counter
    late: Counter
    keys_evicted: Counter
    topic_records: Counter
    subjects_dropped: Counter
    batch_size: Histogram
    inference_seconds: Histogram
    e2e_seconds: Histogram
    window_records: Gauge
    window_novel_records: Gauge
    window_mean_score: Gauge
    window_class_records: Gauge
    window_negative_share: Gauge
    window_high_risk_share: Gauge
    window_amount_usd: Gauge
    alert_transitions: Counter
    alert_firing: Gauge
    deliveries: Counter
    delivery_seconds: Histogram
    delivery_queue: Gauge
    model: Info
    model_swaps: Counter
    shadow_records: Counter
    shadow_agreements: Counter
    shadow_flips: Counter
    shadow_score_shift: Summary
    shadow_failures: Counter
    feedback: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry, prefix: str = "finsentry") -> Metrics:
        p, r = prefix, registry
        window = ["topic", "window"]
        return cls(
            consumed=Counter(
                f"{p}_records_consumed", "Records read from the input topics", ["kind"], registry=r
            ),
            scored=Counter(
                f"{p}_records_scored", "Records scored and published", ["kind", "label"], registry=r
            ),
            rejected=Counter(
                f"{p}_records_rejected",
                "Records rejected (parse, validation or scoring), by reason",
                ["kind", "reason"],
                registry=r,
            ),
            dead_letters=Counter(
                f"{p}_dead_letters_published",
                "Dead letters acknowledged by the broker",
                ["kind"],
                registry=r,
            ),
            last_record=Gauge(
                f"{p}_last_record_timestamp_seconds",
                "Wall time of the last input batch",
                ["kind"],
                registry=r,
            ),
            duplicates=Counter(
                f"{p}_window_duplicates_skipped",
                "Redelivered contributions the windows skipped",
                registry=r,
            ),
            late=Counter(
                f"{p}_window_late_records",
                "Records older than the window retention (counted, not windowed)",
                registry=r,
            ),
            keys_evicted=Counter(
                f"{p}_window_keys_evicted",
                "Subject keys dropped from window state once silent for longer than the "
                "retention (in their partition's event time)",
                registry=r,
            ),
            topic_records=Counter(
                f"{p}_topic_records", "Scored records per subject", ["kind", "topic"], registry=r
            ),
            subjects_dropped=Counter(
                f"{p}_subjects_dropped",
                "Subjects beyond FINSENTRY_VALIDATION__MAX_SUBJECTS per record, not counted",
                ["kind"],
                registry=r,
            ),
            batch_size=Histogram(
                f"{p}_inference_batch_size",
                "Texts per inference call",
                ["kind"],
                buckets=_BATCH_BUCKETS,
                registry=r,
            ),
            inference_seconds=Histogram(
                f"{p}_inference_duration_seconds",
                "Wall time of one inference call",
                ["kind"],
                buckets=_LATENCY_BUCKETS,
                registry=r,
            ),
            e2e_seconds=Histogram(
                f"{p}_produce_to_scored_seconds",
                "From the input record's Kafka timestamp to its score sent",
                ["kind"],
                buckets=_LATENCY_BUCKETS,
                registry=r,
            ),
            window_records=Gauge(
                f"{p}_window_records", "Records in the topic's latest window", window, registry=r
            ),
            window_novel_records=Gauge(
                f"{p}_window_novel_records",
                "First stories (not near-duplicate repeats) in the topic's latest window",
                window,
                registry=r,
            ),
            window_mean_score=Gauge(
                f"{p}_window_mean_score",
                "Relevance-weighted mean signed score in the topic's latest window "
                "(news: P(pos)-P(neg); transactions: expected risk)",
                window,
                registry=r,
            ),
            window_class_records=Gauge(
                f"{p}_window_class_records",
                "Records per predicted class in the latest window",
                [*window, "class"],
                registry=r,
            ),
            window_negative_share=Gauge(
                f"{p}_window_negative_share",
                "Share of negative news in the latest window",
                window,
                registry=r,
            ),
            window_high_risk_share=Gauge(
                f"{p}_window_high_risk_share",
                "Share of high-risk transactions in the latest window",
                window,
                registry=r,
            ),
            window_amount_usd=Gauge(
                f"{p}_window_amount_usd",
                "Transaction amount (USD) in the latest window",
                window,
                registry=r,
            ),
            alert_transitions=Counter(
                f"{p}_alert_transitions", "Alert state changes", ["rule", "state"], registry=r
            ),
            alert_firing=Gauge(
                f"{p}_alert_firing",
                "1 while a rule fires on a topic",
                ["rule", "topic"],
                registry=r,
            ),
            deliveries=Counter(
                f"{p}_alert_deliveries",
                "Alert pushes by receiver and outcome (ok, retried, failed, dropped)",
                ["receiver", "outcome"],
                registry=r,
            ),
            delivery_seconds=Histogram(
                f"{p}_alert_delivery_duration_seconds",
                "Time of one alert push",
                ["receiver"],
                buckets=_DELIVERY_BUCKETS,
                registry=r,
            ),
            delivery_queue=Gauge(
                f"{p}_alert_delivery_queue_length", "Alerts waiting to be pushed", registry=r
            ),
            model=Info(f"{p}_model", "The model serving scores", registry=r),
            model_swaps=Counter(
                f"{p}_model_swaps",
                "Registry promotions the worker acted on (swapped, refused)",
                ["outcome"],
                registry=r,
            ),
            shadow_records=Counter(
                f"{p}_shadow_records",
                "Records also scored by the shadow model",
                ["kind"],
                registry=r,
            ),
            shadow_agreements=Counter(
                f"{p}_shadow_agreements",
                "Shadow-scored records whose label equals the serving model's",
                ["kind"],
                registry=r,
            ),
            shadow_flips=Counter(
                f"{p}_shadow_label_flips",
                "Shadow-scored records whose label differs, by serving and shadow label",
                ["kind", "serving", "shadow"],
                registry=r,
            ),
            shadow_score_shift=Summary(
                f"{p}_shadow_score_shift",
                "Shadow score minus serving score per shadow-scored record (sum / count: the "
                "mean shift)",
                ["kind"],
                registry=r,
            ),
            shadow_failures=Counter(
                f"{p}_shadow_failures",
                "What the shadow model did not score: busy (sampled records dropped while it "
                "ran behind), unscorable (records), load (the one failed load that stops it)",
                ["kind", "reason"],
                registry=r,
            ),
            feedback=Counter(
                f"{p}_feedback_records",
                "Analyst corrections read from the feedback topic (accepted, rejected)",
                ["kind", "outcome"],
                registry=r,
            ),
        )
