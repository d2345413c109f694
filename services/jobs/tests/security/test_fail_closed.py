"""Deployed without saying where, the jobs service assumes production and will not start
on the local stack's database credentials."""

import pytest

from jobline_testing.fail_closed import start_without_deployment

pytestmark = [pytest.mark.e2e]


def test_the_local_database_credentials_are_refused_when_jobline_env_is_unset():
    local = "postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable"
    started = start_without_deployment("jobs", {"DATABASE_URL": local})
    assert started.returncode != 0
    said = started.stdout + started.stderr
    assert "DATABASE_URL still hold the local stack's placeholders" in said
    assert "JOBLINE_ENV=production" in said
