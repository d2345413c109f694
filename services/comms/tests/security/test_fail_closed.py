"""Deployed without saying where, comms assumes production and will not start on the
Twilio sandbox's credentials or the local database's."""

import pytest

from jobline_testing.fail_closed import start_without_deployment

pytestmark = [pytest.mark.e2e]


def test_placeholder_secrets_are_refused_when_jobline_env_is_unset():
    local = "postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable"
    started = start_without_deployment("comms", {"DATABASE_URL": local})
    assert started.returncode != 0
    said = started.stdout + started.stderr
    for setting in ("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        assert setting in said
    assert "JOBLINE_ENV=production" in said
