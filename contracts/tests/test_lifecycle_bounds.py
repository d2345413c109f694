"""Every text of the upstream facts and of the jobs lifecycle is bounded too: a megabyte in
any string field is refused by the model (as ``bad_payload``, with a short reason naming
the field) and by the exported JSON Schema, which is what other teams validate with.

Each string in each golden example (its optional fields filled in) is replaced by 1 MB.
The bounds leave room for what Jobline takes in: ``test_the_bounds_leave_room...``."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jobline_contracts import facts, lifecycle
from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.envelope import Payload
from jobline_contracts.schema_export import envelope_schema
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE, TopicSpec
from jobline_testing.documents import replaced, string_paths

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HUGE = "x" * 1_000_000
FORMATS = Draft202012Validator.FORMAT_CHECKER  # uuid, date, date-time: as other teams check
TOPICS = [DISPATCH_EVENTS, JOBS_LIFECYCLE]
# Optional texts the examples leave null, filled so their bounds are tried too.
FILLED: dict[str, dict[str, Any]] = {
    "job.status_changed": {"reason": "Customer sold the house", "notes": "Pipes re-lagged"},
    "commission.entry_recorded": {"reason": "Held while the customer disputes the work"},
}


def golden(spec: TopicSpec, message_type: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (EXAMPLES / spec.name / f"{message_type}.v1.json").read_bytes()
    )
    document["payload"] |= FILLED.get(message_type, {})
    if message_type == "customer.upserted":
        document["payload"]["billing_address"]["line2"] = "Suite 200"
    if message_type == "property.upserted":
        document["payload"]["contacts"][0]["email"] = "sam@example.com"
    return document


CASES = [
    pytest.param(spec, model, path, id=f"{model.message_type}:{'.'.join(map(str, path))}")
    for spec in TOPICS
    for model in spec.messages
    for path in string_paths(golden(spec, model.message_type)["payload"], ("payload",))
]


def _value(spec: TopicSpec, model: type[Payload], path: tuple[str | int, ...]) -> Any:
    node: Any = golden(spec, model.message_type)
    for step in path:
        node = node[step]
    return node


def _is_a_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value


# A time's format is not checked by this validator (that needs an extra package), and a
# time is no text: the model refuses it (above), and it takes no length.
SCHEMA_CASES = [case for case in CASES if not _is_a_time(_value(*case.values))]


def test_the_filled_examples_are_valid():
    for spec in TOPICS:
        for model in spec.messages:
            document = golden(spec, model.message_type)
            decode(spec, json.dumps(document).encode())
            Draft202012Validator(envelope_schema(spec, model), format_checker=FORMATS).validate(
                document
            )


@pytest.mark.parametrize(("spec", "model", "path"), CASES)
def test_a_megabyte_in_any_text_field_is_refused_by_the_model_with_a_short_reason(
    spec: TopicSpec, model: type[Payload], path: tuple[str | int, ...]
):
    hostile = replaced(golden(spec, model.message_type), path, HUGE)

    with pytest.raises(UndecodableMessage) as refused:
        decode(spec, json.dumps(hostile).encode())

    assert refused.value.kind == "bad_payload"
    assert ".".join(map(str, path[1:])) in refused.value.reason
    assert len(refused.value.reason) < 500


@pytest.mark.parametrize(("spec", "model", "path"), SCHEMA_CASES)
def test_a_megabyte_in_any_text_field_is_refused_by_the_schema(
    spec: TopicSpec, model: type[Payload], path: tuple[str | int, ...]
):
    hostile = replaced(golden(spec, model.message_type), path, HUGE)

    assert not Draft202012Validator(envelope_schema(spec, model), format_checker=FORMATS).is_valid(
        hostile
    )


LIMITS = [
    (JOBS_LIFECYCLE, lifecycle.JobStatusChanged, "notes", 2000),
    (JOBS_LIFECYCLE, lifecycle.JobDeferred, "reason", 2000),
    (JOBS_LIFECYCLE, lifecycle.JobDeferred, "deferred_by", 200),
    (JOBS_LIFECYCLE, lifecycle.JobSubjobScheduled, "title", 200),
    (JOBS_LIFECYCLE, lifecycle.JobDocumentAdded, "filename", 255),
    (JOBS_LIFECYCLE, lifecycle.JobInvoiceIssued, "invoice_number", 32),
    (JOBS_LIFECYCLE, lifecycle.JobInvoiceRevised, "cause", 64),
    (DISPATCH_EVENTS, facts.DocumentAdded, "content_type", 255),
]


@pytest.mark.parametrize(
    ("spec", "model", "field", "limit"),
    LIMITS,
    ids=[f"{m.message_type}.{f}" for _, m, f, _ in LIMITS],
)
def test_the_bounds_leave_room_for_real_values(
    spec: TopicSpec, model: type[Payload], field: str, limit: int
):
    document = golden(spec, model.message_type)
    filler = "image/" + "x" * (limit - 6) if field == "content_type" else "x" * limit
    at_the_bound = replaced(document, ("payload", field), filler)
    past_it = replaced(document, ("payload", field), filler + "x")
    validator = Draft202012Validator(envelope_schema(spec, model), format_checker=FORMATS)

    decode(spec, json.dumps(at_the_bound).encode())
    assert validator.is_valid(at_the_bound)
    with pytest.raises(UndecodableMessage, match=f"at most {limit} characters"):
        decode(spec, json.dumps(past_it).encode())
    assert not validator.is_valid(past_it)
