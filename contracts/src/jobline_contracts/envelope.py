"""The envelope every Jobline message travels in, and the payload base class."""

from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from jobline_contracts.types import TenantId


class Payload(BaseModel):
    """Base of every message payload.

    ``message_type`` and ``schema_version`` identify the payload on the wire; they are
    class attributes so the payload itself stays plain data.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    message_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def blob_keys(self) -> tuple[str, ...]:
        """The blob keys this payload names: every consumer checks they are its tenant's
        (:mod:`jobline_contracts.tenancy`). A payload that names any says so here."""
        return ()


PayloadT = TypeVar("PayloadT", bound=Payload)


class EnvelopeHeader(BaseModel):
    """Everything in the envelope except the payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    message_id: UUID = Field(description="Unique per message; consumers deduplicate on it")
    # Bounded: a stranger's type name travels into dead-letter reasons and logs.
    type: str = Field(
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        description="Message type, e.g. job.status_changed",
    )
    schema_version: int = Field(ge=1, description="Version of the payload schema")
    occurred_at: AwareDatetime = Field(
        description="When the fact or action happened: an upstream fact's own time; on a "
        "message Jobline writes, Jobline's UTC time of the change"
    )
    tenant_id: TenantId
    correlation_id: UUID = Field(description="Shared by every message of one business flow")
    causation_id: UUID | None = Field(
        default=None, description="message_id of the message that caused this one"
    )
    # Absent rather than null when there is none, so every message written without it
    # keeps its exact bytes (and its golden example) within v1.
    source_occurred_at: AwareDatetime | None = Field(
        default=None,
        exclude_if=lambda at: at is None,
        description="On a message Jobline writes because of a message it consumed (an "
        "upstream fact, a comms or invoicing event): that message's occurred_at, as it "
        "was written. Absent when the change came from a request or Jobline's scheduler",
    )


class RawEnvelope(EnvelopeHeader):
    """An envelope whose payload is not yet validated against its type."""

    payload: dict[str, Any]


class Envelope(EnvelopeHeader, Generic[PayloadT]):
    """An envelope with a validated payload."""

    payload: PayloadT

    @classmethod
    def wrap(
        cls,
        payload: PayloadT,
        *,
        tenant_id: str,
        occurred_at: datetime | None = None,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        message_id: UUID | None = None,
        source_occurred_at: datetime | None = None,
    ) -> "Envelope[PayloadT]":
        """Put ``payload`` in a fresh envelope (new message id, now, own correlation)."""
        message_id = message_id or uuid4()
        # Parametrise by the runtime class: under the bare TypeVar pydantic would validate
        # and serialise the payload as the empty Payload base.
        concrete = cast("type[Envelope[PayloadT]]", envelope_type(type(payload)))
        return concrete(
            message_id=message_id,
            type=payload.message_type,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            tenant_id=tenant_id,
            correlation_id=correlation_id or message_id,
            causation_id=causation_id,
            source_occurred_at=source_occurred_at,
            payload=payload,
        )

    def to_json(self) -> bytes:
        """The wire form: compact UTF-8 JSON, decimals as strings."""
        return self.model_dump_json().encode()


@cache
def envelope_type(model: type[Payload]) -> type[Envelope[Any]]:
    """``Envelope[model]``, built once: pydantic holds parametrised models only weakly, so
    after a garbage collection it rebuilt them (about a millisecond each) on every message."""
    return Envelope[model]  # type: ignore[valid-type]
