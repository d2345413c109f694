"""Which deployment a service runs in, and the settings that must never leave a laptop.

Settings fail closed: a service is in production unless ``JOBLINE_ENV=development`` says
otherwise (the local stack, ``make run``, the tests, chaos and the benchmarks say so), and
outside development it refuses to start while any setting still holds a local default —
the sandbox's Twilio credentials, the local database's ``jobline:jobline``.
"""

from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field

Deployment = Literal["development", "test", "staging", "production"]
LOCAL_DATABASE_USER = LOCAL_DATABASE_PASSWORD = "jobline"  # noqa: S105 - refused below


def deployment_field() -> Any:  # noqa: ANN401 - a pydantic FieldInfo, typed Any by pydantic
    """The ``env`` setting every service has: ``JOBLINE_ENV``, production unless told."""
    return Field(
        default="production",
        validation_alias=AliasChoices("JOBLINE_ENV"),
        description="development accepts the local stack's placeholders; nothing else does",
    )


def has_local_credentials(dsn: str) -> bool:
    """Whether a database URL signs in as the local stack's ``jobline:jobline``."""
    url = urlsplit(dsn)
    return url.username == LOCAL_DATABASE_USER and url.password == LOCAL_DATABASE_PASSWORD


def refuse_local_defaults(env: str, offending: Iterable[str]) -> None:
    """Raise ValueError naming the settings that hold local placeholders, unless in
    development."""
    names = sorted(offending)
    if names and env != "development":
        raise ValueError(
            f"{', '.join(names)} still hold the local stack's placeholders; set real ones"
            f" (JOBLINE_ENV={env}; only JOBLINE_ENV=development accepts them)"
        )
