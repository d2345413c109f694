"""How every Kafka client of Jobline reaches the brokers: TLS and SASL, or plaintext.

One set of ``JOBLINE_KAFKA_*`` settings for the three services and ``jobline-ops``, read
from the environment at start-up. The default, PLAINTEXT, is the local stack on loopback; a
cluster sets ``SASL_SSL`` with SCRAM-SHA-512 and the service's own principal (the password
from a Kubernetes Secret, as a variable or a mounted file). Every client is built from
``client_options()`` (aiokafka) or ``broker_security()`` (FastStream), never by hand.
"""

import ssl
from typing import Any, Literal, Self

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from pydantic import Field, FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]
_SCRAM = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}


class KafkaSecurity(BaseSettings):
    """The transport security of a Kafka client (``JOBLINE_KAFKA_*``)."""

    # An empty variable is an unset one (compose passes `${VAR:-}` through as "").
    model_config = SettingsConfigDict(
        env_prefix="JOBLINE_KAFKA_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (the local stack on loopback), SSL, SASL_PLAINTEXT or SASL_SSL",
    )
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str | None = Field(default=None, min_length=1)
    sasl_password: SecretStr | None = None
    sasl_password_file: FilePath | None = Field(
        default=None, description="The password in a file (a mounted Secret), instead"
    )
    ssl_cafile: FilePath | None = Field(
        default=None, description="PEM CAs the brokers' certificates chain to; else the system's"
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.sasl_password is not None and self.sasl_password_file is not None:
            raise ValueError(
                "set JOBLINE_KAFKA_SASL_PASSWORD or JOBLINE_KAFKA_SASL_PASSWORD_FILE, not both"
            )
        given = self.sasl_username or self.sasl_password or self.sasl_password_file
        if not self.sasl:
            # Credentials a plaintext or TLS-only client would silently never send.
            if given:
                raise ValueError(
                    f"SASL credentials are set but JOBLINE_KAFKA_SECURITY_PROTOCOL="
                    f"{self.security_protocol} sends none; say SASL_SSL (or SASL_PLAINTEXT)"
                )
            return self
        if self.sasl_username is None or not self.password:
            raise ValueError(
                f"JOBLINE_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs"
                " JOBLINE_KAFKA_SASL_USERNAME and a non-empty JOBLINE_KAFKA_SASL_PASSWORD"
                " (or JOBLINE_KAFKA_SASL_PASSWORD_FILE)"
            )
        return self

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.security_protocol in {"SSL", "SASL_SSL"}

    @property
    def password(self) -> str:
        """The SASL password, from the variable or the file (one trailing newline dropped)."""
        if self.sasl_password_file is not None:
            return self.sasl_password_file.read_text().removesuffix("\n")
        return self.sasl_password.get_secret_value() if self.sasl_password else ""

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifying the brokers' certificates and host names; None without TLS."""
        if not self.tls:
            return None
        context: ssl.SSLContext = create_ssl_context(cafile=self.ssl_cafile)
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer or admin client."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.password,
            }
        return options

    def broker_security(self) -> BaseSecurity | None:
        """The same settings as FastStream's ``KafkaBroker(security=...)``."""
        if self.sasl:
            assert self.sasl_username is not None  # noqa: S101 - checked by _complete
            scram = _SCRAM[self.sasl_mechanism]
            return scram(self.sasl_username, self.password, self.ssl_context(), use_ssl=self.tls)
        if self.tls:
            return BaseSecurity(self.ssl_context())
        return None


PLAINTEXT = KafkaSecurity.model_construct()


def kafka_security_field() -> Any:  # noqa: ANN401 - a pydantic FieldInfo, typed Any by pydantic
    """The ``kafka_security`` setting every service has, read from ``JOBLINE_KAFKA_*``."""
    return Field(default_factory=KafkaSecurity, description="JOBLINE_KAFKA_* (kafka_security)")
