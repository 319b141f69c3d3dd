"""Window gauges per kind from the kind table, and lag samples from the consumer."""

from __future__ import annotations

from faust.types import TP
from prometheus_client import CollectorRegistry

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.contributions import Contribution
from stream.pipeline.windows import KeyState, apply_contributions
from stream.worker.observe import export_windows, lag_samples

T0 = 1_700_000_040


def _state(kind: str, labels: list[int]) -> KeyState:
    state = KeyState()
    recs = [
        Contribution("k", kind, f"i{n}", T0 + n, label, 0.5, 10.0, "s[0]", n)
        for n, label in enumerate(labels)
    ]
    apply_contributions(state, recs, 60, 3600)
    return state


def test_news_and_transaction_windows_export_their_own_share_and_classes():
    registry = CollectorRegistry()
    metrics, labels = Metrics.create(registry), SubjectLabels([], 10)
    export_windows(metrics, labels, "ticker:A", _state("news", [0, 0, 1, 2]), 60, 900)
    export_windows(metrics, labels, "merchant:m", _state("transaction", [2, 0]), 60, 900)
    get = registry.get_sample_value
    assert get("finsentry_window_negative_share", {"topic": "ticker:A", "window": "hopping"}) == 0.5
    assert (
        get("finsentry_window_high_risk_share", {"topic": "ticker:A", "window": "hopping"}) is None
    )
    tx = {"topic": "merchant:m", "window": "tumbling"}
    assert get("finsentry_window_high_risk_share", tx) == 0.5
    assert get("finsentry_window_amount_usd", tx) == 20.0
    assert get("finsentry_window_class_records", {**tx, "class": "high"}) == 1
    assert get("finsentry_window_class_records",
               {"topic": "ticker:A", "window": "tumbling", "class": "negative"}) == 2  # fmt: skip


class _Consumer:
    def __init__(self) -> None:
        self._committed_offset = {TP("in.news", 0): 40, TP("in.news", 1): 5}

    def assignment(self) -> set[TP]:
        return {TP("in.news", 0), TP("in.news", 1), TP("other", 0)}

    def highwater(self, tp: TP) -> int | None:
        return {TP("in.news", 0): 100, TP("other", 0): 9}.get(tp)


def test_lag_is_the_fetched_high_water_mark_less_the_commit_for_input_roles_only():
    assert dict(lag_samples(_Consumer(), {"in.news": "news"})) == {("news", "0"): 60.0}
