"""Decoding wire bytes into typed envelopes, with reasons fit for a dead-letter header."""

from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from jobline_contracts.dead_letter_kinds import DlqKind
from jobline_contracts.envelope import Envelope, Payload, RawEnvelope, envelope_type
from jobline_contracts.topics import TopicSpec


class UndecodableMessage(ValueError):
    """The bytes are not a valid message for the topic. ``reason`` says why, briefly."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def _summarise(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(message)"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def decode(spec: TopicSpec, raw: bytes) -> Envelope[Any]:
    """Parse ``raw`` as a message of topic ``spec``.

    Raises :class:`UndecodableMessage` with kind ``not_json``, ``bad_envelope``,
    ``unknown_type``, ``unsupported_version`` or ``bad_payload``.
    """
    try:
        header = RawEnvelope.model_validate_json(raw)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise UndecodableMessage(DlqKind.NOT_JSON, "the message is not valid JSON") from error
        raise UndecodableMessage(DlqKind.BAD_ENVELOPE, _summarise(error)) from error
    model = _model_of(spec, header.type)
    if model is None:
        raise UndecodableMessage(
            DlqKind.UNKNOWN_TYPE, f"{spec.name} carries no message type {header.type!r}"
        )
    if header.schema_version > model.schema_version:
        raise UndecodableMessage(
            DlqKind.UNSUPPORTED_VERSION,
            f"{header.type} schema_version {header.schema_version} is newer than "
            f"the supported {model.schema_version}",
        )
    return decode_payload(header, model)


def decode_payload(header: RawEnvelope, model: type[Payload]) -> Envelope[Any]:
    """Validate the payload of an already parsed envelope against ``model``."""
    try:
        payload = model.model_validate(header.payload)
    except ValidationError as error:
        raise UndecodableMessage(DlqKind.BAD_PAYLOAD, _summarise(error)) from error
    envelope: Envelope[Any] = envelope_type(model)(
        **header.model_dump(exclude={"payload"}), payload=payload
    )
    return envelope


@lru_cache(maxsize=1024)  # bounded: poison messages bring any type name they like
def _model_of(spec: TopicSpec, message_type: str) -> type[Payload] | None:
    return spec.message(message_type)
