"""The model registry on real model directories (copies of the shipped one)."""

from __future__ import annotations

import pytest

from models.errors import ModelIntegrityError, ModelNotFoundError, RegistryError
from models.registry import Registry
from models.serving.manifest import Manifest


def test_add_promote_rollback_move_an_atomic_pointer(tmp_path, model_versions):
    reg = Registry(tmp_path / "registry")
    assert reg.versions() == [] and reg.current() is None
    v1 = reg.add(model_versions("v1"))
    v2 = reg.add(model_versions("v2", temperature=2.0))
    assert (v1, v2) == ("v1", "v2")
    assert [v.version for v in reg.versions()] == ["v1", "v2"]
    assert reg.promote("v1") is None and reg.current() == "v1"
    assert reg.promote("v2") == "v1" and reg.current() == "v2"
    assert [v.version for v in reg.versions() if v.current] == ["v2"]
    assert Manifest.load(reg.serving_directory()).tasks["news"]["temperature"] == 2.0
    assert reg.serving_directory(pinned="v1").name == "v1"
    assert reg.rollback() == ("v2", "v1") and reg.current() == "v1"
    with pytest.raises(RegistryError, match="no earlier version"):
        reg.rollback()
    # no temporary files left beside the pointer
    assert sorted(p.name for p in reg.root.iterdir()) == ["current.json", "versions"]


def test_versions_are_immutable_and_names_are_checked(tmp_path, model_versions):
    reg = Registry(tmp_path / "r")
    src = model_versions("v1")
    reg.add(src)
    with pytest.raises(RegistryError, match="already holds v1"):
        reg.add(src)
    with pytest.raises(RegistryError, match="not a model version name"):
        reg.directory("../etc")


def test_promote_refuses_a_corrupted_version_and_keeps_the_pointer(tmp_path, model_versions):
    reg = Registry(tmp_path / "r")
    reg.add(model_versions("v1"))
    reg.add(model_versions("v2"))
    reg.promote("v1")
    encoder = next(reg.directory("v2").glob("encoder*.onnx"))
    encoder.write_bytes(encoder.read_bytes()[:1000])
    with pytest.raises(ModelIntegrityError, match="corrupted"):
        reg.promote("v2")
    assert reg.current() == "v1"


def test_promote_runs_the_callers_check_before_moving_the_pointer(tmp_path, model_versions):
    reg = Registry(tmp_path / "r")
    reg.add(model_versions("v1"))
    reg.add(model_versions("v2", break_heads=True))
    reg.promote("v1")
    seen = []

    def check(directory):
        seen.append(directory.name)
        raise ModelIntegrityError("the news probe could not be scored")

    with pytest.raises(ModelIntegrityError, match="probe"):
        reg.promote("v2", check)
    assert seen == ["v2"] and reg.current() == "v1"


def test_an_empty_registry_says_what_to_do(tmp_path):
    with pytest.raises(ModelNotFoundError, match="finsentry model promote VERSION"):
        Registry(tmp_path / "r").serving_directory()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "current.json").write_text("{oops")
    with pytest.raises(RegistryError, match="not valid JSON"):
        Registry(tmp_path / "r").current()
