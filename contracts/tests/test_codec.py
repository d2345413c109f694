"""The codec refuses bad bytes with the right kind and is lenient only where it should be."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.topics import topic

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples"
DISPATCH = topic("dispatch.events.v1")


def golden(message_type: str) -> dict[str, Any]:
    path = EXAMPLES / DISPATCH.name / f"{message_type}.v1.json"
    result: dict[str, Any] = json.loads(path.read_bytes())
    return result


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def with_payload(message_type: str, **changes: Any) -> bytes:
    document = golden(message_type)
    return encode({**document, "payload": {**document["payload"], **changes}})


def refusal(raw: bytes) -> UndecodableMessage:
    with pytest.raises(UndecodableMessage) as caught:
        decode(DISPATCH, raw)
    return caught.value


@pytest.mark.parametrize(
    "raw", [b"", b"not json at all", b'{"message_id": ', b"\xff\xfe\x00"], ids=repr
)
def test_bytes_that_are_not_json_are_refused_as_not_json(raw):
    assert refusal(raw).kind == "not_json"


def test_an_envelope_without_a_tenant_is_a_bad_envelope():
    document = golden("job.started")
    del document["tenant_id"]

    assert refusal(encode(document)).kind == "bad_envelope"


def test_a_type_the_topic_does_not_carry_is_refused():
    # sms.send is a real message type, but not one of dispatch.events.v1's.
    error = refusal(encode({**golden("job.started"), "type": "sms.send"}))

    assert error.kind == "unknown_type"
    assert "sms.send" in error.reason


def test_a_payload_failing_its_schema_is_a_bad_payload():
    error = refusal(with_payload("technician.upserted", phone="555-0110"))

    assert error.kind == "bad_payload"
    assert "phone" in error.reason


def test_a_newer_schema_version_is_refused_not_guessed_at():
    error = refusal(encode({**golden("job.started"), "schema_version": 2}))

    assert error.kind == "unsupported_version"


def test_unknown_fields_are_ignored_for_forward_compatibility():
    document = golden("job.dispatched")
    future = {
        **document,
        "priority": "high",
        "payload": {
            **document["payload"],
            "crew_size": 2,
            "schedule": {**document["payload"]["schedule"], "timezone": "America/Chicago"},
        },
    }

    assert decode(DISPATCH, encode(future)) == decode(DISPATCH, encode(document))
    assert b"crew_size" not in decode(DISPATCH, encode(future)).to_json()


def test_money_stays_exact_and_travels_as_strings():
    dime = decode(DISPATCH, with_payload("payment.recorded", amount="0.10")).payload.amount
    twenty = decode(DISPATCH, with_payload("payment.recorded", amount="0.20")).payload.amount

    assert dime + twenty == Decimal("0.30")  # 0.1 + 0.2 in floats is 0.30000000000000004
    envelope = decode(DISPATCH, with_payload("payment.recorded", amount="129.50"))
    assert json.loads(envelope.to_json())["payload"]["amount"] == "129.50"


def test_money_with_more_than_two_decimals_is_refused():
    assert refusal(with_payload("payment.recorded", amount="10.005")).kind == "bad_payload"


def test_a_naive_envelope_timestamp_is_refused():
    error = refusal(encode({**golden("job.started"), "occurred_at": "2025-03-18T13:12:03"}))

    assert error.kind == "bad_envelope"
    assert "occurred_at" in error.reason


def test_a_naive_payload_timestamp_is_refused():
    raw = with_payload("job.work_completed", completed_at="2025-03-18T14:32:00")

    error = refusal(raw)

    assert error.kind == "bad_payload"
    assert "completed_at" in error.reason
