"""Settings of the comms service, from the environment, checked at start-up."""

import os
import socket
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, PostgresDsn, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobline_comms.domain.senders import ANY_DOMAIN
from jobline_infra.deployment import (
    Deployment,
    deployment_field,
    has_local_credentials,
    refuse_local_defaults,
)
from jobline_infra.kafka_security import KafkaSecurity, kafka_security_field

# The local Twilio sandbox's credentials: fine on a laptop, never in production.
PLACEHOLDER_SID = "ACsandbox00000000000000000000000000"
PLACEHOLDER_TOKEN = "sandbox-auth-token"  # noqa: S105 - a known placeholder, refused below
# The local SendGrid sandbox's API key: refused in production where SendGrid is used.
PLACEHOLDER_SENDGRID_KEY = "SG.sandbox-api-key"
EmailProviderName = Literal["smtp", "sendgrid"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBLINE_COMMS_", extra="ignore")

    env: Deployment = deployment_field()
    database_url: PostgresDsn = Field(
        default=PostgresDsn("postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable"),
        validation_alias=AliasChoices("JOBLINE_COMMS_DATABASE_URL", "DATABASE_URL"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "JOBLINE_COMMS_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    kafka_security: KafkaSecurity = kafka_security_field()
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8001, ge=1, le=65535)
    public_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="How Twilio reaches this service: status callbacks and signatures",
    )
    consumer_group: str = Field(default="comms", min_length=1)
    # A new consumer group must not skip sends published before it first ran.
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    migrate_on_start: bool = True
    topic_prefix: str = Field(
        default="",
        description="Put every topic under this prefix (benchmarks isolate their traffic)",
    )
    db_pool_size: int = Field(default=10, ge=2, le=100)
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")

    twilio_account_sid: str = PLACEHOLDER_SID
    twilio_auth_token: SecretStr = SecretStr(PLACEHOLDER_TOKEN)
    # Set only while rotating: callbacks signed with it are still accepted (docs/operations.md).
    twilio_previous_auth_token: SecretStr | None = None
    twilio_base_url: str = "http://127.0.0.1:8025"
    twilio_timeout: float = Field(default=15.0, gt=0)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_timeout: float = Field(default=30.0, gt=0)
    # Email goes through SMTP (self-hosters' default) or SendGrid, per deployment, and a
    # tenant may be given its own (EMAIL_PROVIDERS, JSON tenant → smtp|sendgrid).
    email_provider: EmailProviderName = "smtp"
    email_providers: dict[str, EmailProviderName] = Field(
        default_factory=dict, description="tenant → smtp|sendgrid"
    )
    sendgrid_api_key: SecretStr = SecretStr(PLACEHOLDER_SENDGRID_KEY)
    sendgrid_base_url: str = "http://127.0.0.1:8026"
    sendgrid_timeout: float = Field(default=15.0, gt=0)
    # The Event Webhook's verification key (base64 DER, as SendGrid's settings show it);
    # unset, every event post is refused.
    sendgrid_event_public_key: str | None = None
    sendgrid_event_max_age_seconds: float = Field(default=300.0, gt=0)
    sms_senders: dict[str, str] = Field(default_factory=dict, description="tenant → E.164")
    default_sms_sender: str = Field(default="+15005550000", pattern=r"^\+[1-9][0-9]{6,14}$")
    email_senders: dict[str, str] = Field(default_factory=dict, description="tenant → From")
    default_email_sender: str = "Jobline <no-reply@jobline.local>"
    # Emails go From a business's own address only where this deployment may send for its
    # domain (SPF/DKIM set up), or receivers would take them for forgeries; elsewhere they
    # go From the sender above under the business's name, with Reply-To its address.
    sending_domains: list[str] = Field(
        default_factory=list,
        description='Domains emails may be From (["*"]: any; development only, the default there)',
    )
    blob_url: str = Field(
        default_factory=lambda: (Path(".run") / "blobs").resolve().as_uri(),
        description="file:///dir (default .run/blobs) or s3://bucket/prefix",
    )

    rate_limit_per_second: float = Field(
        default=1.0, ge=0, description="Messages per second per sender number; 0 = off"
    )
    max_attempts: int = Field(default=5, ge=1, le=50, description="Provider calls per delivery")
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    # A worker's sending is bound by the provider's latency, not its CPU: at most this many
    # calls over the time one attempt takes (the call plus claim and settle). With 32, a
    # worker against a 50 ms provider stalled near 370 deliveries/s with its CPU half idle.
    send_concurrency: int = Field(
        default=64, ge=1, le=1000, description="Provider calls in flight per worker"
    )
    # A count of calls in flight does not bound memory when each email may carry many MiB
    # of attachments: the bytes do. 96 MiB keeps a worker near 300 MB with 15 MiB emails.
    attachment_budget_bytes: int = Field(
        default=96 * 1024 * 1024,
        ge=1024 * 1024,
        description="Attachment bytes a worker holds at once; a larger email runs alone",
    )
    poll_interval: float = Field(default=0.5, gt=0, description="Seconds between due scans")
    status_check_after: float = Field(
        default=600.0,
        gt=0,
        description="Seconds a text may stay `sent` before Twilio is asked for its status "
        "(a lost status callback); while it stays `sent`, asked again after twice the wait",
    )
    status_check_give_up_after: float = Field(
        default=72 * 3600.0,
        gt=0,
        description="Seconds after which a `sent` text is no longer asked about",
    )
    claim_timeout: float = Field(
        default=120.0, gt=0, description="A claim older than this lost its worker mid-call"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # issue 20: replies. Inbound Parse posts to /v1/inbound/email/<token>; no token, no
    # email replies. Outgoing emails name reply+<tenant>@<reply domain> as Reply-To.
    inbound_parse_token: SecretStr | None = None
    reply_domain: str | None = Field(default=None, description="e.g. replies.example.com")
    reply_addresses: dict[str, str] = Field(default_factory=dict, description="tenant → address")
    inbound_file_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    @property
    def dsn(self) -> str:
        return str(self.database_url)

    @property
    def status_callback_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/v1/twilio/status"

    @property
    def uses_sendgrid(self) -> bool:
        return "sendgrid" in {self.email_provider, *self.email_providers.values()}

    @property
    def inbound_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/v1/twilio/inbound"

    @model_validator(mode="after")
    def _any_domain_on_a_laptop(self) -> Self:
        """Locally (the SMTP catcher) every business's own address is a fine From."""
        if self.env == "development" and "sending_domains" not in self.model_fields_set:
            self.sending_domains = [ANY_DOMAIN]
        return self

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        placeholders = {
            "JOBLINE_COMMS_TWILIO_ACCOUNT_SID": self.twilio_account_sid == PLACEHOLDER_SID,
            "JOBLINE_COMMS_TWILIO_AUTH_TOKEN": (
                self.twilio_auth_token.get_secret_value() == PLACEHOLDER_TOKEN
            ),
            "DATABASE_URL": has_local_credentials(str(self.database_url)),
            "JOBLINE_COMMS_SENDING_DOMAINS": ANY_DOMAIN in self.sending_domains,
            "JOBLINE_COMMS_SENDGRID_API_KEY": self.uses_sendgrid
            and self.sendgrid_api_key.get_secret_value() == PLACEHOLDER_SENDGRID_KEY,
        }
        refuse_local_defaults(self.env, (name for name, local in placeholders.items() if local))
        if self.uses_sendgrid and not self.sendgrid_event_public_key and self.env != "development":
            # Fail closed: without it no event is ever accepted and emails stay `sent`.
            raise ValueError("JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY must be set to use SendGrid")
        used = [self.twilio_timeout, self.smtp_timeout]  # SendGrid's only where it is used
        if self.uses_sendgrid:
            used.append(self.sendgrid_timeout)
        if self.claim_timeout <= max(used):
            raise ValueError("claim_timeout must exceed the provider call timeouts")
        return self
