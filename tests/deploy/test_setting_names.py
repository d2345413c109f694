"""The names the env checks accept are the services' real settings, and only those."""

import pytest

pytestmark = pytest.mark.unit


def test_each_service_accepts_its_own_names_and_no_others(support):
    jobs, comms, invoicing = (support.env_names_of(n) for n in ("jobs", "comms", "invoicing"))
    assert {"JOBLINE_JOBS_MIGRATE_ON_START", "DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} <= jobs
    assert {"JOBLINE_COMMS_TWILIO_AUTH_TOKEN", "JOBLINE_ENV", "DATABASE_URL"} <= comms
    assert "JOBLINE_COMMS_TWILLIO_AUTH_TOKEN" not in comms
    assert "JOBLINE_COMMS_MIGRATE_ON_START" not in jobs
    # invoicing keeps no database: a DATABASE_URL given to it would be a mistake.
    assert not {"DATABASE_URL", "JOBLINE_INVOICING_DATABASE_URL"} & invoicing
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= invoicing


def test_the_sandboxes_names_are_read_from_their_settings(support):
    names = support.env_names_of("sandboxes")
    assert {
        "JOBLINE_SANDBOX_TWILIO_HOST",
        "JOBLINE_SANDBOX_TWILIO_PORT",
        "JOBLINE_SANDBOX_SMTP_HOST",
        "JOBLINE_SANDBOX_SMTP_PORT",
        "JOBLINE_SANDBOX_MAIL_DIR",
    } <= names
    assert not any(name.startswith("JOBLINE_COMMS_") for name in names)
