"""The local broker's SASL_SSL listener (SCRAM-SHA-512 over TLS), where the end-to-end test
proves the clients' TLS and SASL settings against a real broker.

``deploy/local/kafka.sh wait`` writes what a client needs to ``.run/kafka/tls/client.env``
(the listener's address as ``JOBLINE_KAFKA_SASL_BOOTSTRAP``, then the ``JOBLINE_KAFKA_*``
settings the services read); ``JOBLINE_KAFKA_SASL_CLIENT_ENV`` names such a file for another
broker. Without one the test fails, saying how to get it: it never skips.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from jobline_infra.kafka_security import KafkaSecurity

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ENV = ROOT / ".run" / "kafka" / "tls" / "client.env"
BOOTSTRAP = "JOBLINE_KAFKA_SASL_BOOTSTRAP"


@dataclass(frozen=True)
class SaslListener:
    bootstrap: str
    env: dict[str, str]  # JOBLINE_KAFKA_*, as a service process is given them

    @property
    def security(self) -> KafkaSecurity:
        """The same settings for the test's own clients (from the file, not the env)."""
        prefix = "JOBLINE_KAFKA_"
        return KafkaSecurity.model_validate(
            {name.removeprefix(prefix).lower(): value for name, value in self.env.items()}
        )


def sasl_listener() -> SaslListener:
    """The listener ``client.env`` describes; LookupError naming the fix if there is none."""
    path = Path(os.environ.get("JOBLINE_KAFKA_SASL_CLIENT_ENV", CLIENT_ENV))
    if not path.is_file():
        raise LookupError(
            f"no SASL_SSL listener: {path} does not exist. deploy/local/kafka.sh writes it"
            " when `kafka.sh wait` finds its broker serving SASL_SSL; a broker started by an"
            " older kafka.sh has no such listener until restarted (kafka.sh stop; kafka.sh"
            " start; kafka.sh wait). For another broker, set JOBLINE_KAFKA_SASL_CLIENT_ENV to"
            f" a file of {BOOTSTRAP}=host:port and the JOBLINE_KAFKA_* client settings."
        )
    lines = (line.strip() for line in path.read_text().splitlines())
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    if BOOTSTRAP not in values:
        raise LookupError(f"{path} names no {BOOTSTRAP}")
    return SaslListener(values.pop(BOOTSTRAP), values)
