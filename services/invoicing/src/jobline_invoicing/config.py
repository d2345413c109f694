"""Settings of the invoicing service, from the environment, checked at start-up."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBLINE_INVOICING_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8002, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
