"""How logs and traces leave a service: the same ``JOBLINE_*`` variables for every one."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObservabilitySettings(BaseSettings):
    """``JOBLINE_LOG_FORMAT``, ``JOBLINE_TRACES_EXPORTER``, ``JOBLINE_TRACES_FILE``,
    ``JOBLINE_TRACES_SAMPLE_RATIO``. The OTLP exporter reads the standard
    ``OTEL_EXPORTER_OTLP_*`` variables (endpoint, headers, timeout)."""

    model_config = SettingsConfigDict(env_prefix="JOBLINE_", extra="ignore")

    log_format: Literal["json", "console"] = "json"
    traces_exporter: Literal["none", "otlp", "file", "console"] = Field(
        default="none", description="'file' appends finished spans as JSON lines (tests)"
    )
    traces_file: Path | None = Field(
        default=None, description="Where the 'file' exporter writes; setting it implies 'file'"
    )
    traces_sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Share of new traces kept (parents decide)"
    )

    @property
    def exporter(self) -> str:
        if self.traces_exporter == "none" and self.traces_file is not None:
            return "file"
        return self.traces_exporter
