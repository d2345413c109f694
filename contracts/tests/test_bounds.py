"""Every text in the commands and events the services send each other is bounded: a
stranger who can write comms.* or invoicing.* cannot hand a consumer a megabyte field.

Each string in each golden example (its optional fields filled in) is replaced by 1 MB;
the consumer's decoder must refuse the message as ``bad_payload`` with a short reason
(the reason goes into a dead-letter header and the log)."""

import json
from pathlib import Path
from typing import Any

import pytest

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS, TopicSpec, topic
from jobline_testing.documents import replaced, string_paths

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HUGE = "x" * 1_000_000
TOPICS = [
    COMMS_COMMANDS,
    COMMS_EVENTS,
    topic("invoicing.commands.v1"),
    topic("invoicing.events.v1"),
]
# Optional fields the examples leave null, filled so their bounds are tried too.
FILLED: dict[str, dict[str, Any]] = {
    "delivery.status_changed": {"error_code": "30003", "error_message": "Unreachable handset"},
    "email.send": {"to_name": "Dana Whitfield"},
}
SHARE = {
    "parent_job_number": "J-1",
    "share_amount": "10.00",
    "schedule": [
        {"job_number": "J-2", "title": "Rough-in", "amount": "10.00", "bill_on": "2025-03-18"}
    ],
}


def golden(spec: TopicSpec, message_type: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (EXAMPLES / spec.name / f"{message_type}.v1.json").read_bytes()
    )
    document["payload"] |= FILLED.get(message_type, {})
    if message_type == "invoice.render":
        document["payload"]["snapshot"]["billing_share"] = SHARE
    return document


CASES = [
    pytest.param(
        spec, model.message_type, path, id=f"{model.message_type}:{'.'.join(map(str, path))}"
    )
    for spec in TOPICS
    for model in spec.messages
    for path in string_paths(golden(spec, model.message_type)["payload"], ("payload",))
]


def test_the_filled_examples_are_valid():
    for spec in TOPICS:
        for model in spec.messages:
            decode(spec, json.dumps(golden(spec, model.message_type)).encode())


@pytest.mark.parametrize(("spec", "message_type", "path"), CASES)
def test_a_megabyte_in_any_text_field_is_refused_with_a_short_reason(spec, message_type, path):
    hostile = replaced(golden(spec, message_type), path, HUGE)

    with pytest.raises(UndecodableMessage) as refused:
        decode(spec, json.dumps(hostile).encode())

    assert refused.value.kind == "bad_payload"
    assert ".".join(map(str, path[1:])) in refused.value.reason
    assert len(refused.value.reason) < 500


def test_the_bounds_leave_room_for_real_values():
    spec, document = COMMS_EVENTS, golden(COMMS_EVENTS, "delivery.status_changed")
    at_the_bound = replaced(document, ("payload", "error_message"), "e" * 2000)
    past_it = replaced(document, ("payload", "error_message"), "e" * 2001)

    assert decode(spec, json.dumps(at_the_bound).encode()).payload.error_message == "e" * 2000
    with pytest.raises(UndecodableMessage, match="at most 2000 characters"):
        decode(spec, json.dumps(past_it).encode())
