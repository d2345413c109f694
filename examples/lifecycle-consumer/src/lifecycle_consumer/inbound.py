"""What one Kafka record is to this consumer: an event to apply, a message to skip, or
bytes it cannot read. Reading never raises: a bad message must not stop the consumer."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from jobline_contracts.codec import UndecodableMessage, decode_payload
from jobline_contracts.envelope import Envelope, RawEnvelope
from jobline_contracts.topics import JOBS_LIFECYCLE


@dataclass(frozen=True)
class Position:
    """Where a record sits: enough to find it again with any Kafka tool."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Event:
    """A lifecycle event of a type this consumer's contracts know: to apply once."""

    position: Position
    envelope: Envelope[Any]


@dataclass(frozen=True)
class Skipped:
    """A well-formed envelope of a type (or a schema_version) newer than the installed
    ``jobline-contracts``: Jobline added it compatibly; this consumer does without it."""

    position: Position
    header: RawEnvelope
    kind: str  # unknown_type or unsupported_version
    reason: str


@dataclass(frozen=True)
class Rejected:
    """Bytes that are no lifecycle event: kept aside with the reason, never applied."""

    position: Position
    kind: str
    reason: str
    value: bytes


Inbound = Event | Skipped | Rejected


def read(position: Position, value: bytes | None) -> Inbound:
    """Decode ``value`` with the published models of ``jobs.lifecycle.v1``."""
    if value is None:
        return Rejected(position, "bad_envelope", "the record has no value", b"")
    try:
        header = RawEnvelope.model_validate_json(value)
    except ValidationError as error:
        invalid_json = any(e["type"] == "json_invalid" for e in error.errors())
        kind = "not_json" if invalid_json else "bad_envelope"
        return Rejected(position, kind, _first_error(error), value)
    model = JOBS_LIFECYCLE.message(header.type)
    if model is None:
        return Skipped(position, header, "unknown_type", f"unknown type {header.type!r}")
    if header.schema_version > model.schema_version:
        return Skipped(
            position,
            header,
            "unsupported_version",
            f"{header.type} schema_version {header.schema_version} is newer than the "
            f"installed contracts read ({model.schema_version})",
        )
    try:
        return Event(position, decode_payload(header, model))
    except UndecodableMessage as error:
        return Rejected(position, error.kind, error.reason, value)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(message)"
    return f"{where}: {first['msg']}"
