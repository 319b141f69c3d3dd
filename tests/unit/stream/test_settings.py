import pytest
from pydantic import ValidationError

from stream.app import _credentials, client_kwargs
from stream.settings import KafkaSettings, Settings


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
    assert "hunter2-secret" not in repr(_credentials(kafka))
    # the client gets the real value
    assert client_kwargs(kafka)["sasl_plain_password"] == "hunter2-secret"
