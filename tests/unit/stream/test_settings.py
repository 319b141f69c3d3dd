import pytest
from pydantic import ValidationError

from stream.kafka.client import client_kwargs
from stream.settings import KafkaSettings, Settings
from stream.worker.app import credentials


def test_env_builds_nested_frozen_settings(monkeypatch):
    monkeypatch.setenv("FINSENTRY_MODEL__THREADS", "3")
    monkeypatch.setenv("FINSENTRY_KAFKA__TOPICS__PARTITIONS", "8")
    s = Settings()
    assert s.model.threads == 3 and s.kafka.topics.partitions == 8
    with pytest.raises(ValidationError):
        s.model.threads = 4  # type: ignore[misc]


def test_secrets_never_show_in_reprs():
    kafka = KafkaSettings(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="svc",
        sasl_password="hunter2-secret",
    )
    s = Settings(kafka=kafka)
    assert "hunter2-secret" not in repr(s) and "hunter2-secret" not in str(s)
    assert "hunter2-secret" not in s.model_dump_json()
    assert "hunter2-secret" not in repr(credentials(kafka))
    # the client gets the real value
    assert client_kwargs(kafka)["sasl_plain_password"] == "hunter2-secret"


def test_inference_workers_share_out_the_model_threads():
    from models.settings import ModelSettings

    assert Settings().inference_model().threads == 1  # 2 threads, 2 workers
    assert Settings(inference_workers=1).inference_model().threads == 2
    three = Settings(model=ModelSettings(threads=8), inference_workers=3)
    assert three.inference_model().threads == 2
    assert three.inference_model().provider == three.model.provider
    one = Settings(model=ModelSettings(threads=1), inference_workers=4)
    assert one.inference_model().threads == 1


def test_an_empty_model_path_setting_means_unset(monkeypatch):
    monkeypatch.setenv("FINSENTRY_MODEL__DIR", "")
    monkeypatch.setenv("FINSENTRY_MODEL__REGISTRY", " ")
    s = Settings()
    assert s.model.dir is None and s.model.registry is None
    assert s.model.directory() is None  # the shipped model
