from pathlib import Path

import orjson
import pytest

from stream.errors import ConfigError
from stream.pipeline.alerts import AlertRule, evaluate_rules, load_rules
from stream.pipeline.contributions import Contribution
from stream.pipeline.windows import KeyState, WindowSpec, apply_contributions
from stream.settings import AlertSettings

T0 = 1_700_000_040
SURGE = AlertRule(
    "surge",
    "surge",
    "news",
    "negative_count",
    fire=4.0,
    clear=1.0,
    min_count=6,
    baseline_panes=30,
    cooldown_s=600,
)
LEVEL = AlertRule(
    "drop",
    "level",
    "news",
    "mean_score",
    fire=-0.4,
    clear=-0.15,
    min_count=5,
    window="hopping",
    direction="below",
)


def feed(state, minute, n, label, score, start_offset):
    recs = [
        Contribution(
            "ticker:X",
            "news",
            f"m{minute}-{i}",
            T0 + 60 * minute + i,
            label,
            score,
            0.0,
            "news[0]",
            start_offset + i,
        )
        for i in range(n)
    ]
    apply_contributions(state, recs, 60, 7200)
    return start_offset + n


def run(rules, schedule):
    state, offset, events = KeyState(), 0, []
    for minute, (n, label, score) in enumerate(schedule):
        offset = feed(state, minute, n, label, score, offset)
        events += evaluate_rules("ticker:X", state, rules, 60, 300)
        # the worker persists the state as JSON between batches
        state = KeyState.from_dict(orjson.loads(orjson.dumps(state.to_dict())))
    return events


def test_surge_fires_once_and_resolves_once():
    calm = [(4, 1, 0.1)] * 35
    burst = [(20, 0, -0.9)] * 3
    events = run((SURGE,), calm + burst + calm)
    assert [e.state for e in events] == ["firing", "resolved"]
    firing = events[0]
    assert firing.value >= 4.0 and firing.window.count == 20
    assert firing.to_wire()["sample_ids"][:1] == ["m35-0"]


def test_no_alert_on_steady_flow():
    assert run((SURGE, LEVEL), [(6, 1, 0.0)] * 60) == []


def test_level_rule_has_hysteresis():
    # mean hovers around the fire threshold: one firing, no flapping, then a clear recovery
    schedule = [(6, 0, -0.5), (6, 0, -0.35), (6, 0, -0.45), (6, 0, -0.3)] * 3 + [(30, 2, 0.8)] * 6
    events = run((LEVEL,), schedule)
    assert [e.state for e in events] == ["firing", "resolved"]


def test_cooldown_suppresses_refiring():
    calm, burst = [(4, 1, 0.1)] * 35, [(20, 0, -0.9)] * 2
    events = run((SURGE,), calm + burst + [(4, 1, 0.1)] * 3 + burst + calm)
    assert [e.state for e in events] == ["firing", "resolved"]


def test_shipped_rules_load():
    rules = load_rules(AlertSettings().rules_file)
    assert {r.name for r in rules} >= {"sentiment_drop", "negative_surge", "risk_spike"}


def test_bad_rules_file_says_what_is_wrong(tmp_path: Path):
    path = tmp_path / "r.toml"
    path.write_text('[[rules]]\nname = "x"\nkind = "level"\n')
    with pytest.raises(ConfigError, match="rule #1 is invalid"):
        load_rules(path)


def test_rules_files_may_still_name_subject_prefixes_topic_prefixes(tmp_path: Path):
    rule = (
        'name = "x"\nkind = "level"\napplies_to = "news"\nmetric = "mean_score"\n'
        "fire = -0.4\nclear = -0.1\n"
    )
    old = tmp_path / "old.toml"
    old.write_text(f'[[rules]]\n{rule}topic_prefixes = ["ticker:"]\n')
    new = tmp_path / "new.toml"
    new.write_text(f'[[rules]]\n{rule}subject_prefixes = ["ticker:"]\n')
    assert load_rules(old) == load_rules(new)
    (loaded,) = load_rules(old)
    assert loaded.matches("ticker:JPM", "news") and not loaded.matches("sector:banks", "news")
    unknown = tmp_path / "kind.toml"
    unknown.write_text(f"[[rules]]\n{rule.replace('news', 'tweets')}")
    with pytest.raises(ConfigError, match="applies_to"):
        load_rules(unknown)


def test_surge_does_not_resolve_on_the_first_records_of_a_new_pane():
    state, offset, events = KeyState(), 0, []
    schedule = [(4, 1, 0.1)] * 35 + [(21, 0, -0.9)] * 3 + [(3, 1, 0.1)] * 5
    for minute, (n, label, score) in enumerate(schedule):
        for part in range(3):  # the pane arrives in three batches
            recs = [
                Contribution(
                    "ticker:X",
                    "news",
                    f"m{minute}-{part}-{i}",
                    T0 + 60 * minute + 20 * part + i,
                    label,
                    score,
                    0.0,
                    "news[0]",
                    offset + i,
                )
                for i in range(n // 3)
            ]
            offset += n // 3
            apply_contributions(state, recs, 60, 7200)
            events += evaluate_rules("ticker:X", state, (SURGE,), 60, 300)
    assert [e.state for e in events] == ["firing", "resolved"]
    assert events[1].at >= T0 + 60 * 39  # not before the burst's panes are over


def test_a_backlog_in_one_batch_gives_the_same_alerts_as_pane_by_pane():
    from stream.pipeline.alerts import apply_and_evaluate

    schedule = [(4, 1, 0.1)] * 35 + [(20, 0, -0.9)] * 3 + [(4, 1, 0.1)] * 10
    recs, offset = [], 0
    for minute, (n, label, score) in enumerate(schedule):
        recs += [
            Contribution(
                "ticker:X",
                "news",
                f"m{minute}-{i}",
                T0 + 60 * minute + i,
                label,
                score,
                0.0,
                "news[0]",
                offset + i,
            )
            for i in range(n)
        ]
        offset += n
    _, events = apply_and_evaluate(
        "ticker:X", KeyState(), recs, (SURGE,), WindowSpec(60, 300, 7200)
    )
    assert [(e.state, e.at) for e in events] == [(e.state, e.at) for e in run((SURGE,), schedule)]
    assert [e.state for e in events] == ["firing", "resolved"]


def test_a_record_repeated_in_another_pane_run_of_one_batch_counts_once():
    from stream.pipeline.alerts import apply_and_evaluate

    def rec(i, minute):
        return Contribution(
            "ticker:X", "news", f"r{i}", T0 + 60 * minute, 1, 0.1, 0.0, "news[0]", i
        )

    # minute 0, minute 1, then record 0 again: three pane runs in one batch
    batch = [rec(0, 0), rec(1, 1), rec(0, 0)]
    state = KeyState()
    result, _ = apply_and_evaluate("ticker:X", state, batch, (LEVEL,), WindowSpec(60, 300, 7200))
    assert (result.applied, result.duplicates) == (2, 1)
    assert sum(p.count for p in state.panes.values()) == 2
    assert state.panes[T0].applied == {"news[0]": [[0, 0]]}
    assert state.panes[T0 + 60].applied == {"news[0]": [[1, 1]]}
    assert result.panes == {T0, T0 + 60}
    again, _ = apply_and_evaluate("ticker:X", state, batch, (LEVEL,), WindowSpec(60, 300, 7200))
    assert (again.applied, again.duplicates) == (0, 3)
