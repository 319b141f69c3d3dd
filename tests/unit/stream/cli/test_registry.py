"""``finsentry model list | add | promote | rollback`` on real model copies."""

from __future__ import annotations

from typer.testing import CliRunner

from stream.cli import app as finsentry


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(finsentry, list(args), env=env)


def test_the_registry_commands_manage_the_pointer(tmp_path, model_versions, news_csv):
    env = {"FINSENTRY_MODEL__REGISTRY": str(tmp_path / "reg")}
    assert _run("model", "add", str(model_versions("v1")), "--promote", env=env).exit_code == 0
    added = _run("model", "add", str(model_versions("v2", temperature=1.7)), env=env)
    assert added.exit_code == 0 and "added v2" in added.output
    listed = _run("model", "list", env=env)
    assert listed.exit_code == 0
    rows = [line for line in listed.output.splitlines() if " v1 " in line or " v2 " in line]
    assert len(rows) == 2 and "*" in rows[0] and "*" not in rows[1]
    # the gate: same argmax (only the temperature differs), so no worse on validation
    promoted = _run("model", "promote", "v2", "--validation", str(news_csv), env=env)
    assert promoted.exit_code == 0 and "promoted v2 (was v1)" in promoted.output
    back = _run("model", "rollback", env=env)
    assert back.exit_code == 0 and "rolled back to v1 (was v2)" in back.output


def test_promotion_refuses_a_model_that_loads_but_cannot_score(tmp_path, model_versions):
    env = {"FINSENTRY_MODEL__REGISTRY": str(tmp_path / "reg")}
    _run("model", "add", str(model_versions("v1")), "--promote", env=env)
    _run("model", "add", str(model_versions("bad", break_heads=True)), env=env)
    refused = _run("model", "promote", "bad", env=env)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "probe" in refused.output
    assert (tmp_path / "reg" / "current.json").read_text().count('"v1"') == 1


def test_without_a_registry_the_commands_say_how_to_name_one(monkeypatch):
    monkeypatch.delenv("FINSENTRY_MODEL__REGISTRY", raising=False)
    result = _run("model", "list")
    assert result.exit_code == 2 and "FINSENTRY_MODEL__REGISTRY" in result.output


def test_the_gate_refuses_a_worse_model_and_one_that_did_not_learn_the_feedback(
    tmp_path, model_versions, news_csv
):
    import orjson

    env = {"FINSENTRY_MODEL__REGISTRY": str(tmp_path / "reg")}
    _run("model", "add", str(model_versions("v1")), "--promote", env=env)
    _run("model", "add", str(model_versions("worse", swap_news_classes=True)), env=env)
    _run("model", "add", str(model_versions("same", temperature=1.1)), env=env)
    worse = _run("model", "promote", "worse", "--validation", str(news_csv), env=env)
    assert worse.exit_code == 2 and "promotion refused: news validation accuracy" in worse.output
    assert "validation" in worse.output and "Δ points" in worse.output  # the comparison table
    rows = tmp_path / "feedback.jsonl"
    rows.write_bytes(b"".join(
        orjson.dumps({"id": f"f{i}", "kind": "news", "text": t, "label": "positive"}) + b"\n"
        for i, t in enumerate(["Acme beats estimates and raises guidance", "Acme shares soar"])
    ))  # fmt: skip
    same = _run("model", "promote", "same", "--validation", str(news_csv), "--feedback",
                str(rows), env=env)  # fmt: skip
    assert same.exit_code == 2 and "the corrections are not learnt" in same.output
    forced = _run("model", "promote", "worse", "--no-gate", env=env)
    assert forced.exit_code == 0 and "promoted worse (was v1)" in forced.output
