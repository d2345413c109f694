"""The Kafka clients' TLS and SASL settings (JOBLINE_KAFKA_*), as aiokafka and FastStream
take them. Against a real broker: tests/e2e/test_kafka_sasl.py."""

import os
import ssl
from pathlib import Path

import certifi
import pytest
from faststream.kafka.security import parse_security
from faststream.security import SASLScram512
from pydantic import ValidationError

from jobline_infra.kafka_security import PLAINTEXT, KafkaSecurity

pytestmark = pytest.mark.unit
CA = Path(certifi.where())  # any PEM bundle: httpx brings this one


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: none of the session's JOBLINE_KAFKA_* leaks in."""
    for name in list(os.environ):
        if name.startswith("JOBLINE_KAFKA_"):
            monkeypatch.delenv(name)


def test_the_default_is_plaintext_with_nothing_else():
    security = KafkaSecurity()
    assert security.client_options() == {"security_protocol": "PLAINTEXT"}
    assert security.broker_security() is None
    assert PLAINTEXT.client_options() == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_from_the_environment_gives_both_clients_scram_over_verified_tls(
    monkeypatch, tmp_path
):
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")  # a mounted Secret often ends with a newline
    for name, value in {
        "SECURITY_PROTOCOL": "SASL_SSL",
        "SASL_USERNAME": "jobline-jobs",
        "SASL_PASSWORD_FILE": str(secret),
        "SSL_CAFILE": str(CA),
    }.items():
        monkeypatch.setenv(f"JOBLINE_KAFKA_{name}", value)
    security = KafkaSecurity()
    options = security.client_options()
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "jobline-jobs",
        "sasl_plain_password": "s3cret",
    }
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    broker = security.broker_security()
    assert isinstance(broker, SASLScram512)
    parsed = parse_security(broker)  # what FastStream hands aiokafka
    assert parsed["security_protocol"] == "SASL_SSL"
    assert parsed["sasl_mechanism"] == "SCRAM-SHA-512"
    assert parsed["sasl_plain_password"] == "s3cret"  # noqa: S105 - the test's own
    assert parsed["ssl_context"].verify_mode == ssl.CERT_REQUIRED


def test_tls_without_sasl_verifies_against_the_system_cas():
    security = KafkaSecurity(security_protocol="SSL")
    options = security.client_options()
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    assert parse_security(security.broker_security())["security_protocol"] == "SSL"


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        ({"security_protocol": "SASL_SSL"}, "JOBLINE_KAFKA_SASL_USERNAME"),
        ({"security_protocol": "SASL_SSL", "sasl_username": "jobs"}, "SASL_PASSWORD"),
        ({"sasl_username": "jobs", "sasl_password": "x"}, "sends none"),
        (
            {
                "security_protocol": "SASL_SSL",
                "sasl_username": "jobs",
                "sasl_password": "x",
                "sasl_password_file": str(CA),
            },
            "not both",
        ),
        ({"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"}, "ssl_cafile"),
        ({"security_protocol": "TLS"}, "security_protocol"),
    ],
)
def test_incomplete_or_contradictory_settings_are_refused_naming_the_fix(settings, names):
    with pytest.raises(ValidationError, match=names):
        KafkaSecurity(**settings)


def test_the_services_read_it_at_start_up(monkeypatch):
    from jobline_invoicing.config import Settings  # noqa: PLC0415 - a service's settings

    monkeypatch.setenv("JOBLINE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(ValidationError, match="JOBLINE_KAFKA_SASL_USERNAME"):
        Settings()


def test_empty_variables_count_as_unset(monkeypatch):
    """compose passes ``${JOBLINE_KAFKA_SASL_USERNAME:-}`` through as an empty string."""
    monkeypatch.setenv("JOBLINE_KAFKA_SASL_USERNAME", "")
    monkeypatch.setenv("JOBLINE_KAFKA_SASL_PASSWORD", "")
    assert KafkaSecurity().client_options() == {"security_protocol": "PLAINTEXT"}
