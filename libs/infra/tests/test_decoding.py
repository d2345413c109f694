"""Decoding once: the per-topic union agrees with the stepwise codec, and refuses what it
refuses, with the codec's kinds."""

import json
from pathlib import Path

import pytest

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, TOPICS, TopicSpec
from jobline_infra.consuming import TopicDecoder

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[3] / "contracts/examples"
GOLDEN = [
    pytest.param(spec, path, id=path.stem)
    for spec in TOPICS
    for path in sorted((EXAMPLES / spec.name).glob("*.json"))
]


@pytest.mark.parametrize(("spec", "path"), GOLDEN)
def test_every_golden_message_decodes_to_the_codecs_typed_envelope(spec: TopicSpec, path: Path):
    raw = path.read_bytes()
    ours, codecs = TopicDecoder(spec).decode(raw), decode(spec, raw)
    assert isinstance(ours, type(codecs))
    assert isinstance(ours.payload, type(codecs.payload))
    assert ours.to_json() == codecs.to_json()


def _golden(spec: TopicSpec) -> dict[str, object]:
    path = next((EXAMPLES / spec.name).glob("*.json"))
    document: dict[str, object] = json.loads(path.read_bytes())
    return document


def _refusal(spec: TopicSpec, document: object) -> UndecodableMessage:
    with pytest.raises(UndecodableMessage) as refused:
        TopicDecoder(spec).decode(json.dumps(document).encode())
    return refused.value


def test_a_newer_schema_version_is_refused_as_unsupported():
    document = _golden(DISPATCH_EVENTS)
    document["schema_version"] = 2
    assert _refusal(DISPATCH_EVENTS, document).kind == "unsupported_version"


def test_another_topics_message_type_is_unknown_here():
    document = _golden(COMMS_EVENTS)
    assert _refusal(DISPATCH_EVENTS, document).kind == "unknown_type"


def test_a_bad_header_is_a_bad_envelope_even_with_an_unknown_type():
    document = _golden(DISPATCH_EVENTS)
    document["type"], document["occurred_at"] = "no.such_type", "yesterday"
    assert _refusal(DISPATCH_EVENTS, document).kind == "bad_envelope"
