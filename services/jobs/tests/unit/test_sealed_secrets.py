"""The key secrets are sealed with at rest (JOBLINE_JOBS_SECRETS_KEY): development gets a
fixed one no deployment may use; a key that is not a Fernet key stops the start without
being echoed; a key put in front of the old one still opens what the old one sealed."""

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from jobline_jobs.adapters.sealed_secrets import SecretBox, SecretsKeyMissing
from jobline_jobs.config import DEVELOPMENT_SECRETS_KEY, Settings, secrets_keys
from jobline_jobs.service_layer.sign_on_ports import SignOnFailed

ELSEWHERE = "postgresql://jobs:s3cret@db.example.internal:5432/jobline"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBLINE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", ELSEWHERE)
    monkeypatch.delenv("JOBLINE_JOBS_SECRETS_KEY", raising=False)


def test_development_seals_with_the_fixed_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBLINE_ENV", "development")
    monkeypatch.delenv("JOBLINE_JOBS_SECRETS_KEY", raising=False)
    assert secrets_keys(Settings().secrets_key) == [DEVELOPMENT_SECRETS_KEY]


@pytest.mark.usefixtures("production")
def test_production_refuses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBLINE_JOBS_SECRETS_KEY", DEVELOPMENT_SECRETS_KEY)
    with pytest.raises(ValidationError, match="JOBLINE_JOBS_SECRETS_KEY still hold"):
        Settings()


@pytest.mark.usefixtures("production")
def test_a_key_that_is_not_a_fernet_key_is_refused_unechoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBLINE_JOBS_SECRETS_KEY", "hunter2-not-a-key")
    with pytest.raises(ValidationError, match="must be a Fernet key") as raised:
        Settings()
    assert "hunter2" not in str(raised.value)


@pytest.mark.usefixtures("production")
def test_production_without_a_key_starts_but_cannot_seal() -> None:
    box = SecretBox(secrets_keys(Settings().secrets_key))
    with pytest.raises(SecretsKeyMissing):
        box.seal("a client secret")


def test_a_new_key_in_front_still_opens_what_the_old_one_sealed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_by_old = SecretBox([old]).seal("a client secret")
    rotated = SecretBox([new, old])
    assert "a client secret" not in sealed_by_old
    assert rotated.open(sealed_by_old) == "a client secret"
    assert SecretBox([new]).open(rotated.seal("next")) == "next"
    with pytest.raises(SignOnFailed, match="does not open"):
        SecretBox([new]).open(sealed_by_old)
