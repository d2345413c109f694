"""The SendGrid sandbox's settings (JOBLINE_SANDBOX_SENDGRID_*, JOBLINE_SANDBOX_MAIL_DIR)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jobline_sandboxes.env import env_int, env_str

DEFAULT_API_KEY = "SG.sandbox-api-key"  # a well-known local-only credential
DEFAULT_EVENT_WEBHOOK_URL = "http://127.0.0.1:8001/v1/sendgrid/events"


@dataclass(frozen=True)
class SendgridSandboxSettings:
    """Where the sandbox listens, the key it accepts, where its events and mail go."""

    host: str = "127.0.0.1"
    port: int = 8026
    api_key: str = DEFAULT_API_KEY
    # Where every event is posted ("" posts none), as an account's Event Webhook URL.
    event_webhook_url: str = DEFAULT_EVENT_WEBHOOK_URL
    # The ECDSA P-256 signing key (PEM). Created there if missing; None: a new key in
    # memory for this process only (tests read the public key from the app).
    key_file: Path | None = None
    mail_dir: Path = field(default_factory=lambda: Path.cwd() / ".run" / "mail")
    latency_ms: int = 0  # delay before answering each send
    event_delay_ms: int = 20  # delay before each event post

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SendgridSandboxSettings":
        """Settings from the environment, defaults for the rest."""
        env = os.environ if environ is None else environ
        key_file = env_str(env, "JOBLINE_SANDBOX_SENDGRID_KEY_FILE", "")
        mail_dir = env_str(env, "JOBLINE_SANDBOX_MAIL_DIR", "")
        return cls(
            host=env_str(env, "JOBLINE_SANDBOX_SENDGRID_HOST", cls.host),
            port=env_int(env, "JOBLINE_SANDBOX_SENDGRID_PORT", cls.port),
            api_key=env_str(env, "JOBLINE_SANDBOX_SENDGRID_API_KEY", cls.api_key),
            event_webhook_url=env.get(
                "JOBLINE_SANDBOX_SENDGRID_EVENT_WEBHOOK_URL", cls.event_webhook_url
            ).strip(),
            key_file=Path(key_file) if key_file else None,
            mail_dir=Path(mail_dir) if mail_dir else Path.cwd() / ".run" / "mail",
            latency_ms=env_int(env, "JOBLINE_SANDBOX_SENDGRID_LATENCY_MS", cls.latency_ms),
            event_delay_ms=env_int(
                env, "JOBLINE_SANDBOX_SENDGRID_EVENT_DELAY_MS", cls.event_delay_ms
            ),
        )
