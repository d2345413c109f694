"""Settings of the jobs service, from the environment, checked at start-up."""

import ipaddress
from pathlib import Path
from typing import Annotated, Literal, Self

from cryptography.fernet import Fernet
from limits import RateLimitItem, parse_many
from pydantic import (
    AliasChoices,
    Field,
    PostgresDsn,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jobline_infra.deployment import (
    Deployment,
    deployment_field,
    has_local_credentials,
    refuse_local_defaults,
)
from jobline_infra.kafka_security import KafkaSecurity, kafka_security_field

# The local stack's and the tests' key for secrets kept at rest (a tenant's single sign-on
# client secret): fixed, so a fresh clone runs with no step, and refused outside
# development like the local database's password.
DEVELOPMENT_SECRETS_KEY = "am9ibGluZS1kZXZlbG9wbWVudC1vbmx5LWtleS0zMmI="
# Generous: the console's polling and the test suites never come near them.
DEFAULT_API = "50/second;1500/minute"


def parse_rate_limit(spec: str) -> tuple[RateLimitItem, ...]:
    """``"20/second;600/minute"`` as limits' items; ``"off"`` (or empty) as none. A bad
    spec raises limits' ValueError, which names it."""
    if spec.strip().lower() in ("", "off"):
        return ()
    return tuple(parse_many(spec))


Role = Literal["api", "consume", "relay"]
ROLES: tuple[Role, ...] = ("api", "consume", "relay")


class Settings(BaseSettings):
    # A refused setting is named, never echoed: it may be a key or a password.
    model_config = SettingsConfigDict(
        env_prefix="JOBLINE_JOBS_", extra="ignore", hide_input_in_errors=True
    )

    env: Deployment = deployment_field()
    database_url: PostgresDsn = Field(
        default=PostgresDsn("postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable"),
        validation_alias=AliasChoices("JOBLINE_JOBS_DATABASE_URL", "DATABASE_URL"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "JOBLINE_JOBS_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    kafka_security: KafkaSecurity = kafka_security_field()
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    consumer_group: str = Field(default="jobs", min_length=1)
    # A new consumer group must not skip facts published before it first ran.
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    migrate_on_start: bool = True
    roles: Annotated[tuple[Role, ...], NoDecode] = Field(
        default=ROLES,
        min_length=1,
        description="What this process runs, comma-separated: api (HTTP API and console), "
        "consume (the Kafka subscribers), relay (outbox relay and scheduled sends)",
    )
    outbox_lanes: int = Field(
        default=8,
        ge=1,
        le=1024,
        description="Lanes of the outbox, each relayed by one process at a time; the same "
        "in every jobs process (relays of another count wait until the old ones are gone)",
    )
    topic_prefix: str = Field(
        default="",
        description="Put every topic under this prefix (benchmarks isolate their traffic)",
    )
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    consumer_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Dispatch facts applied in one transaction"
    )
    consumer_batch_timeout_ms: int = Field(
        default=20, ge=1, le=1000, description="How long a batch waits for its first record"
    )
    db_pool_size: int = Field(default=10, ge=2, le=100)
    blob_url: str = Field(
        default_factory=lambda: (Path(".run") / "blobs").resolve().as_uri(),
        description="file:///dir (default .run/blobs) or s3://bucket/prefix",
    )
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    invoice_wait_seconds: float = Field(
        default=5.0, ge=0, le=60, description="How long a PDF download waits for a render"
    )
    idempotency_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="After this, a retry may take over the Idempotency-Key of a request that "
        "recorded no effect (its process died); longer than any request takes",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        validation_alias=AliasChoices("JOBLINE_JOBS_FORWARDED_ALLOW_IPS", "FORWARDED_ALLOW_IPS"),
        description="Proxies (addresses or networks, comma-separated; '*' any) whose "
        "X-Forwarded-For/-Proto uvicorn believes: the client's address and https",
    )
    hsts_max_age_seconds: int = Field(
        default=365 * 24 * 3600, ge=0, description="Strict-Transport-Security on https; 0 off"
    )
    # Rate limits in limits' notation ("20/second;600/minute"), "off" for none; counted in
    # each API process's memory (entrypoints/api/rate_limits.py).
    api_rate_limit: str = Field(
        default=DEFAULT_API, description="Requests per API token (console calls included)"
    )
    # Accounts (issue 18): console sessions and the lockout of failed sign-ins, both in
    # PostgreSQL so every API process sees the same.
    session_idle_seconds: int = Field(
        default=2 * 3600, ge=1, description="A console session ends after this long unused"
    )
    session_absolute_seconds: int = Field(
        default=12 * 3600, ge=1, description="A console session ends this long after sign-in"
    )
    lockout_attempts: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account that lock it for a while"
    )
    lockout_address_attempts: int = Field(
        default=20, ge=1, description="Failed sign-ins from one address that lock it out"
    )
    lockout_seconds: int = Field(
        default=15 * 60,
        ge=1,
        description="The window failures are counted over; a lockout lasts until the oldest "
        "of them is this old",
    )
    invite_link_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="How long an invite or reset link holds"
    )

    secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet keys (comma-separated, newest first: the first encrypts, any "
        "decrypts, so a key can be rotated) for secrets kept in the database; unset outside "
        "development, single sign-on cannot be configured",
    )

    @field_validator("roles", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        # uvicorn quietly takes a malformed entry as a literal that never matches.
        for item in (part.strip() for part in value.split(",")):
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item)
            except ValueError as error:
                raise ValueError(f"not an address or network: {item!r} ({error})") from error
        return value

    @field_validator("secrets_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        for key in secrets_keys(value):
            try:
                Fernet(key)
            except ValueError as error:  # the key is not echoed: it is a secret
                raise ValueError("each key must be a Fernet key (Fernet.generate_key())") from error
        return value

    @model_validator(mode="after")
    def _no_local_defaults(self) -> Self:
        if self.env == "development" and self.secrets_key is None:
            self.secrets_key = SecretStr(DEVELOPMENT_SECRETS_KEY)
        local = ["DATABASE_URL"] if has_local_credentials(self.dsn) else []
        if DEVELOPMENT_SECRETS_KEY in secrets_keys(self.secrets_key):
            local.append("JOBLINE_JOBS_SECRETS_KEY")
        refuse_local_defaults(self.env, local)
        return self

    @property
    def dsn(self) -> str:
        return str(self.database_url)


def secrets_keys(setting: SecretStr | None) -> list[str]:
    """The keys of ``JOBLINE_JOBS_SECRETS_KEY``, newest first."""
    if setting is None:
        return []
    return [part.strip() for part in setting.get_secret_value().split(",") if part.strip()]
