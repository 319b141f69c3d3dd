"""``finsentry requantize`` on a copy of the shipped model."""

from __future__ import annotations

from typer.testing import CliRunner

from stream.cli import app as finsentry


def test_requantize_rewrites_a_model_directory_in_one_line(tmp_path):
    import shutil

    from models.serving.manifest import Manifest
    from models.serving.runtime import shipped_model_dir

    target = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), target)
    run = CliRunner().invoke(finsentry, ["requantize", "--model-dir", str(target)])
    assert run.exit_code == 0, run.output
    assert "integer weights identical" in " ".join(run.output.split())
    Manifest.load(target).verify()
    missing = CliRunner().invoke(finsentry, ["requantize", "--model-dir", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output
