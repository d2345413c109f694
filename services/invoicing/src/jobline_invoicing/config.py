"""Settings of the invoicing service, from the environment, checked at start-up."""

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobline_infra.kafka_security import KafkaSecurity, kafka_security_field


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBLINE_INVOICING_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "JOBLINE_INVOICING_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    kafka_security: KafkaSecurity = kafka_security_field()
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8002, ge=1, le=65535)
    consumer_group: str = Field(default="invoicing", min_length=1)
    # A new consumer group must not skip render commands published before it first ran.
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    # The same default directory as the jobs service, which serves the PDFs it reads here.
    blob_url: str = Field(
        default_factory=lambda: (Path(".run") / "blobs").resolve().as_uri(),
        description="file:///dir (default .run/blobs) or s3://bucket/prefix",
    )
    render_workers: int = Field(
        default=1, ge=1, le=64, description="Render processes (and concurrent commands)"
    )
    template_dir: Path | None = Field(
        default=None, description="A directory with invoice.html (+ invoice.css) to use instead"
    )
    max_transient_wait: float = Field(
        default=60.0, ge=0, description="Seconds of retrying I/O before a redelivery"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("template_dir")
    @classmethod
    def _has_template(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "invoice.html").is_file():
            raise ValueError(f"{value} holds no invoice.html")
        return value.resolve() if value is not None else None
