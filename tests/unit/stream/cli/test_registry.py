"""``finsentry model list | add | promote | rollback`` on real model copies."""

from __future__ import annotations

from typer.testing import CliRunner

from stream.cli import app as finsentry


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(finsentry, list(args), env=env)


def test_the_registry_commands_manage_the_pointer(tmp_path, model_versions):
    env = {"FINSENTRY_MODEL__REGISTRY": str(tmp_path / "reg")}
    assert _run("model", "add", str(model_versions("v1")), "--promote", env=env).exit_code == 0
    added = _run("model", "add", str(model_versions("v2", temperature=1.7)), env=env)
    assert added.exit_code == 0 and "added v2" in added.output
    listed = _run("model", "list", env=env)
    assert listed.exit_code == 0
    rows = [line for line in listed.output.splitlines() if " v1 " in line or " v2 " in line]
    assert len(rows) == 2 and "*" in rows[0] and "*" not in rows[1]
    promoted = _run("model", "promote", "v2", env=env)
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
