import random

import pytest

from stream.pipeline.contributions import Contribution
from stream.pipeline.windows import (
    WINDOW_METRICS,
    KeyState,
    apply_contributions,
    hopping,
    pane_value,
    tumbling,
)

T0 = 1_700_000_040  # a pane boundary for 60 s panes


def c(offset, ts, label=1, score=0.0, key="ticker:X", kind="news", source="news[0]"):
    return Contribution(key, kind, f"id{offset}", ts, label, score, 0.0, source, offset)


def test_tumbling_and_hopping_match_a_naive_reference():
    rng = random.Random(3)
    records = [
        c(i, T0 + rng.uniform(0, 900), rng.randrange(3), rng.uniform(-1, 1)) for i in range(500)
    ]
    state = KeyState()
    apply_contributions(state, records, 60, 3600)
    for pane in range(T0, T0 + 900, 60):
        ref = [r for r in records if pane <= r.ts < pane + 60]
        got = tumbling(state, pane, 60)
        assert got.count == len(ref)
        assert got.classes[0] == sum(r.label == 0 for r in ref)
        if ref:
            assert got.mean_score == pytest.approx(sum(r.score for r in ref) / len(ref))
    end_pane = T0 + 840
    ref = [r for r in records if end_pane + 60 - 300 <= r.ts < end_pane + 60]
    assert hopping(state, end_pane, 60, 300).count == len(ref)


@pytest.mark.parametrize("metric", sorted(WINDOW_METRICS))
def test_pane_value_matches_the_full_window_stats(metric):
    rng = random.Random(5)
    records = [
        c(i, T0 + rng.uniform(0, 600), rng.randrange(3), rng.uniform(-1, 1)) for i in range(80)
    ]
    state = KeyState()
    apply_contributions(state, records, 60, 3600)
    for pane in range(T0 - 120, T0 + 720, 60):  # empty panes before and after included
        assert pane_value(state, pane, metric) == pytest.approx(
            tumbling(state, pane, 60).metric(metric) or 0.0
        )
    with pytest.raises(KeyError, match="unknown window metric"):
        pane_value(state, T0, "median")


def test_redelivered_records_are_not_counted_twice():
    first = [c(i, T0 + i) for i in range(10)]
    state = KeyState()
    assert apply_contributions(state, first, 60, 3600).applied == 10
    # crash after offset 9 was applied but before the commit: 5..14 come again
    again = [c(i, T0 + i) for i in range(5, 15)]
    result = apply_contributions(state, again, 60, 3600)
    assert (result.applied, result.duplicates) == (5, 5)
    assert tumbling(state, T0, 60).count == 15


def test_a_record_repeated_within_one_batch_counts_once():
    state = KeyState()
    batch = [c(i, T0 + i) for i in (1, 2, 2, 3, 1)]
    result = apply_contributions(state, batch, 60, 3600)
    assert (result.applied, result.duplicates) == (3, 2)
    assert state.panes[T0].applied == {"news[0]": [[1, 3]]}


def test_records_processed_out_of_order_are_counted_once():
    # offsets 20..29 were processed before 10..19 (a hole left upstream, filled later)
    state = KeyState()
    apply_contributions(state, [c(i, T0 + i) for i in range(10)], 60, 3600)
    apply_contributions(state, [c(i, T0 + i) for i in range(20, 30)], 60, 3600)
    late = apply_contributions(state, [c(i, T0 + i) for i in range(10, 20)], 60, 3600)
    assert late.applied == 10  # not mistaken for duplicates
    again = apply_contributions(state, [c(i, T0 + i) for i in range(30)], 60, 3600)
    assert (again.applied, again.duplicates) == (0, 30)
    assert tumbling(state, T0, 60).count == 30
    assert state.panes[T0].applied == {"news[0]": [[0, 29]]}


def test_covered_batches_keep_the_applied_set_small():
    state = KeyState()
    for batch in range(50):  # this key has one record in each batch of 64 offsets
        lo = batch * 64
        apply_contributions(
            state, [c(lo + 7, T0 + batch)], 60, 3600, covered={"news[0]": [[lo, lo + 63]]}
        )
    assert state.panes[T0].applied == {"news[0]": [[0, 50 * 64 - 1]]}


def test_a_redelivered_record_is_recognised_by_its_own_pane():
    state = KeyState()
    first = apply_contributions(state, [c(0, T0), c(1, T0 + 60), c(2, T0 + 61)], 60, 3600)
    assert first.panes == {T0, T0 + 60}  # the panes that changed, to be written
    assert state.panes[T0].applied == {"news[0]": [[0, 0]]}
    assert state.panes[T0 + 60].applied == {"news[0]": [[1, 2]]}
    assert (state.panes[T0].max_ts, state.panes[T0 + 60].max_ts) == (T0, T0 + 61)
    # the second pane's write was lost (a crash): it is rebuilt without its records, and the
    # redelivery applies them there while the first pane skips its own
    state.panes[T0 + 60] = type(state.panes[T0])()
    again = apply_contributions(state, [c(0, T0), c(1, T0 + 60), c(2, T0 + 61)], 60, 3600)
    assert (again.applied, again.duplicates, again.panes) == (2, 1, {T0 + 60})
    assert [state.panes[s].count for s in (T0, T0 + 60)] == [1, 2]
    only_dups = apply_contributions(state, [c(0, T0)], 60, 3600)
    assert (only_dups.duplicates, only_dups.panes) == (1, frozenset())


def test_offsets_are_tracked_per_source_partition():
    state = KeyState()
    apply_contributions(
        state, [c(7, T0, source="news[0]"), c(3, T0 + 1, source="news[1]")], 60, 3600
    )
    assert tumbling(state, T0, 60).count == 2


def test_state_round_trips_through_its_dict_form():
    state = KeyState()
    apply_contributions(state, [c(i, T0 + 30 * i, label=0) for i in range(6)], 60, 3600)
    clone = KeyState.from_dict(state.to_dict())
    assert clone.to_dict() == state.to_dict()
    assert tumbling(clone, T0, 60).flagged_ids == ("id0", "id1")


def test_old_panes_are_pruned_and_late_records_counted():
    state = KeyState()
    apply_contributions(state, [c(0, T0), c(1, T0 + 7200)], 60, 3600)
    assert T0 not in state.panes
    result = apply_contributions(state, [c(2, T0 + 10)], 60, 3600)
    assert result.late == 1 and tumbling(state, T0, 60).count == 0
    assert result.panes == frozenset()  # nothing to write


def test_panes_that_fall_out_are_reported_for_their_tombstones():
    state = KeyState()
    apply_contributions(state, [c(0, T0)], 60, 3600)
    result = apply_contributions(state, [c(1, T0 + 7200)], 60, 3600)
    assert result.panes == {T0, T0 + 7200} and list(state.panes) == [T0 + 7200]


def test_the_mean_score_is_weighted_by_relevance_and_the_count_stays_plain():
    state = KeyState()
    full = Contribution("ticker:X", "news", "a", T0, 2, 1.0, 0.0, "news[0]", 0, 1.0)
    weak = Contribution("ticker:X", "news", "b", T0 + 1, 0, -1.0, 0.0, "news[0]", 1, 0.25)
    apply_contributions(state, [full, weak], 60, 3600)
    stats = tumbling(state, T0, 60)
    assert stats.count == 2
    assert stats.mean_score == pytest.approx((1.0 - 0.25) / 1.25)


def test_repeats_count_in_the_raw_counts_but_not_the_novel_ones():
    state = KeyState()
    first = Contribution("ticker:X", "news", "a", T0, 0, -1.0, 0.0, "news[0]", 0)
    copies = [
        Contribution("ticker:X", "news", f"r{i}", T0 + i, 0, -1.0, 0.0, "news[0]", i, 1.0, False)
        for i in range(1, 20)
    ]
    apply_contributions(state, [first, *copies], 60, 3600)
    stats = tumbling(state, T0, 60)
    assert (stats.count, stats.classes[0]) == (20, 20)
    assert (stats.novel_count, stats.novel[0]) == (1, 1)
    assert stats.metric("novel_negative_count") == 1.0 and stats.metric("negative_count") == 20
    assert stats.flagged_ids == ("a",)  # evidence is distinct stories


def test_contributions_and_panes_of_earlier_versions_still_read():
    old = ["ticker:X", "news", "a", float(T0), 0, -0.5, 0.0, "news[0]", 3]
    c_old = Contribution.from_wire(old)
    assert (c_old.relevance, c_old.novel) == (1.0, True)
    assert Contribution.from_wire(c_old.to_wire()) == c_old
    state = KeyState.from_dict(
        {"panes": {str(T0): [2, -1.0, [2, 0, 0], 0.0, ["a"]]}, "applied": {"news[0]": [[0, 9]]}}
    )
    stats = tumbling(state, T0, 60)
    assert stats.mean_score == -0.5 and stats.novel == (2, 0, 0)
    # offsets were kept per key: every pane inherits them (a redelivery is still skipped)
    assert state.panes[T0].applied == {"news[0]": [[0, 9]]}
    assert apply_contributions(state, [c(3, T0 + 1)], 60, 3600).duplicates == 1
