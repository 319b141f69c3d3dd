"""``manifest.json``: what is wrong with a model directory, said plainly."""

from __future__ import annotations

import shutil

import orjson
import pytest

from models.errors import ManifestVersionError, ModelIntegrityError, ModelNotFoundError
from models.serving.manifest import SCHEMA_VERSION, Manifest
from models.serving.runtime import shipped_model_dir


def test_the_shipped_manifest_verifies_and_round_trips(tmp_path):
    manifest = Manifest.load(shipped_model_dir())
    manifest.verify()
    copy = tmp_path / "m"
    shutil.copytree(shipped_model_dir(), copy)
    Manifest.load(copy).write()
    assert Manifest.load(copy).to_json() == manifest.to_json()


def test_each_way_a_directory_can_be_wrong_has_its_own_message(tmp_path):
    with pytest.raises(ModelNotFoundError, match="FINSENTRY_MODEL__DIR"):
        Manifest.load(tmp_path / "nope")
    with pytest.raises(ModelNotFoundError, match="not written by `finsentry export`"):
        Manifest.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{bad")
    with pytest.raises(ModelIntegrityError, match="not valid JSON"):
        Manifest.load(tmp_path)
    raw = orjson.loads((shipped_model_dir() / "manifest.json").read_bytes())
    (tmp_path / "manifest.json").write_bytes(orjson.dumps({**raw, "schema_version": 99}))
    with pytest.raises(
        ManifestVersionError, match=f"newer than this finsentry reads \\({SCHEMA_VERSION}\\)"
    ):
        Manifest.load(tmp_path)
