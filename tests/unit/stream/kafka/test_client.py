"""Client configuration in one place: what each security setting gives every client."""

from __future__ import annotations

import ssl

from pydantic import SecretStr

from stream.kafka.client import client_kwargs, sasl_options, ssl_context, unreachable
from stream.settings import KafkaSettings


def test_plaintext_has_no_tls_and_no_sasl():
    kafka = KafkaSettings(bootstrap_servers="a:1,b:2")
    assert client_kwargs(kafka) == {
        "bootstrap_servers": "a:1,b:2",
        "security_protocol": "PLAINTEXT",
    }
    assert ssl_context(kafka) is None and sasl_options(kafka) == {}


def test_sasl_ssl_gives_a_tls_context_and_the_clear_password_to_the_client_only():
    kafka = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc",
        sasl_password=SecretStr("hunter2"),
    )
    kwargs = client_kwargs(kafka)
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert (kwargs["sasl_mechanism"], kwargs["sasl_plain_username"]) == ("SCRAM-SHA-512", "svc")
    assert kwargs["sasl_plain_password"] == "hunter2"
    assert "hunter2" not in repr(kafka)


def test_an_unreachable_broker_is_one_line_saying_what_to_check():
    error = unreachable(KafkaSettings(bootstrap_servers="k:9"), OSError("refused"), "write x")
    assert str(error).startswith("cannot reach Kafka at k:9 to write x (OSError: refused)")
    assert "FINSENTRY_KAFKA__BOOTSTRAP_SERVERS" in str(error) and "\n" not in str(error)


def test_a_security_protocol_mismatch_is_named_as_a_possible_cause():
    kafka = KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN")
    try:
        try:
            raise OSError("connection reset")
        except OSError as inner:
            raise ConnectionError("no broker answered") from inner
    except ConnectionError as exc:
        message = str(unreachable(kafka, exc))
    assert "caused by OSError: connection reset" in message
    assert "uses SASL_PLAINTEXT with SASL PLAIN" in message
    assert "FINSENTRY_KAFKA__SECURITY_PROTOCOL" in message
