"""The Twilio sandbox's settings (JOBLINE_SANDBOX_TWILIO_*)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from jobline_sandboxes.env import env_int, env_str

DEFAULT_ACCOUNT_SID = "ACsandbox00000000000000000000000000"
DEFAULT_AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 - a well-known local-only credential


@dataclass(frozen=True)
class TwilioSandboxSettings:
    """Where the sandbox listens, the credentials it accepts, and how slowly it answers."""

    host: str = "127.0.0.1"
    port: int = 8025
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    # Delay before answering each create request (benchmarks use 50 ms).
    latency_ms: int = 0
    # Delay before each status callback, so `sent` follows the create answer.
    callback_delay_ms: int = 20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TwilioSandboxSettings":
        """Settings from JOBLINE_SANDBOX_TWILIO_* variables, defaults for the rest."""
        env = os.environ if environ is None else environ
        return cls(
            host=env_str(env, "JOBLINE_SANDBOX_TWILIO_HOST", cls.host),
            port=env_int(env, "JOBLINE_SANDBOX_TWILIO_PORT", cls.port),
            account_sid=env_str(env, "JOBLINE_SANDBOX_TWILIO_ACCOUNT_SID", cls.account_sid),
            auth_token=env_str(env, "JOBLINE_SANDBOX_TWILIO_AUTH_TOKEN", cls.auth_token),
            latency_ms=env_int(env, "JOBLINE_SANDBOX_TWILIO_LATENCY_MS", cls.latency_ms),
            callback_delay_ms=env_int(
                env, "JOBLINE_SANDBOX_TWILIO_CALLBACK_DELAY_MS", cls.callback_delay_ms
            ),
        )
