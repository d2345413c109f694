"""Decode once: one pydantic pass over the topic's envelopes as a discriminated union.

The union is keyed by the envelope's ``type`` and built once per topic, so a message's
bytes go through pydantic once, straight to its typed envelope (the stepwise codec parsed
the envelope, then its payload, then copied both into the typed envelope). Only a message
the union refuses takes the codec's stepwise path, which names the reason for its dead
letter: ``not_json``, ``bad_envelope``, ``unknown_type``, ``unsupported_version`` or
``bad_payload``, the kinds docs/asyncapi.yaml lists and the codec's tests pin down.
"""

from functools import cache
from typing import Annotated, Any, Literal, Union, cast

from pydantic import Field, TypeAdapter, ValidationError, create_model

from jobline_contracts import codec
from jobline_contracts.envelope import Envelope, Payload, envelope_type
from jobline_contracts.topics import TopicSpec


class TopicDecoder:
    """Bytes of one topic to typed envelopes; raises ``codec.UndecodableMessage``."""

    def __init__(self, spec: TopicSpec) -> None:
        self.spec = spec
        self._union = _union_of(spec.messages)

    def decode(self, raw: bytes) -> Envelope[Any]:
        try:
            return self._union.validate_json(raw)
        except ValidationError:
            # Rare, so the cost is fine: the stepwise pass says why (and raises).
            return codec.decode(self.spec, raw)


@cache
def _union_of(messages: tuple[type[Payload], ...]) -> TypeAdapter[Envelope[Any]]:
    members = tuple(_on_the_wire(model) for model in messages)
    if len(members) == 1:
        return TypeAdapter(members[0])
    union: Any = Annotated[Union[members], Field(discriminator="type")]  # noqa: UP007 - built at run time
    return TypeAdapter(union)


def _on_the_wire(model: type[Payload]) -> type[Envelope[Any]]:
    """``Envelope[model]`` whose ``type`` is the discriminator's tag, refusing a newer
    ``schema_version`` than the model's (the codec checks the same, step by step)."""
    fields: dict[str, Any] = {
        "type": (Literal[model.message_type], ...),
        "schema_version": (int, Field(ge=1, le=model.schema_version)),
    }
    wire = create_model(f"{model.__name__}OnTheWire", __base__=envelope_type(model), **fields)
    return cast(type[Envelope[Any]], wire)
