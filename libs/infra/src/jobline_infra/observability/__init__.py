"""Observability every Jobline service shares: Prometheus metrics, OpenTelemetry traces
carried in Kafka headers, and structured JSON logs with personal data masked.

``setup`` is what a service's command line calls once, before it builds its app."""

from jobline_infra.observability.logging import configure_logging, register_secret
from jobline_infra.observability.settings import ObservabilitySettings
from jobline_infra.observability.tracing import configure_tracing

__all__ = ["ObservabilitySettings", "register_secret", "setup"]


def setup(service: str, log_level: str, *, secrets: tuple[str, ...] = ()) -> None:
    """Logs as JSON (or console lines) with ``secrets`` masked; traces as configured."""
    settings = ObservabilitySettings()
    for secret in secrets:
        register_secret(secret)
    configure_logging(service, log_level, json_format=settings.log_format == "json")
    configure_tracing(service, settings)
