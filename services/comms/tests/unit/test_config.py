"""Settings: sandbox placeholders only in development; sender maps from JSON."""

import pytest
from pydantic import ValidationError

from jobline_comms.config import Settings

pytestmark = pytest.mark.unit


def test_defaults_match_the_local_sandboxes(monkeypatch):
    monkeypatch.setenv("JOBLINE_ENV", "development")
    settings = Settings()
    assert settings.twilio_base_url == "http://127.0.0.1:8025"
    assert (settings.smtp_host, settings.smtp_port, settings.http_port) == ("127.0.0.1", 1025, 8001)
    assert settings.status_callback_url == "http://127.0.0.1:8001/v1/twilio/status"
    assert settings.blob_url.startswith("file://")
    assert settings.blob_url.endswith(".run/blobs")


def test_placeholder_secrets_are_refused_outside_development(monkeypatch):
    monkeypatch.delenv("JOBLINE_ENV", raising=False)  # production, unless told
    with pytest.raises(ValidationError, match="placeholders") as refused:
        Settings()
    for setting in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "DATABASE_URL"):
        assert setting in str(refused.value)
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_AUTH_TOKEN", "real-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql://comms:s3cret@db.internal/jobline")
    assert Settings().env == "production"


def test_sender_maps_are_read_as_json(monkeypatch):
    monkeypatch.setenv("JOBLINE_COMMS_SMS_SENDERS", '{"acme": "+15005551111"}')
    monkeypatch.setenv("JOBLINE_COMMS_EMAIL_SENDERS", '{"acme": "Acme <billing@acme.test>"}')
    settings = Settings()
    assert settings.sms_senders == {"acme": "+15005551111"}
    assert settings.email_senders["acme"] == "Acme <billing@acme.test>"


def test_any_sending_domain_is_the_local_default_and_refused_elsewhere(monkeypatch):
    monkeypatch.setenv("JOBLINE_ENV", "development")
    assert Settings().sending_domains == ["*"]
    monkeypatch.setenv("JOBLINE_COMMS_SENDING_DOMAINS", '["acme.example"]')
    assert Settings().sending_domains == ["acme.example"]
    monkeypatch.setenv("JOBLINE_ENV", "production")
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_AUTH_TOKEN", "real-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql://comms:s3cret@db.internal/jobline")
    assert Settings().sending_domains == ["acme.example"]
    monkeypatch.setenv("JOBLINE_COMMS_SENDING_DOMAINS", '["*"]')
    with pytest.raises(ValidationError, match="JOBLINE_COMMS_SENDING_DOMAINS"):
        Settings()
