"""The golden examples: one per message type, valid against the model and the JSON Schema."""

import ast
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from jobline_contracts.codec import decode
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.schema_export import envelope_schema, schema_path
from jobline_contracts.topics import TOPICS, TopicSpec, topic

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "contracts" / "examples"
DISPATCH = "dispatch.events.v1"

REGISTERED = [(spec, model) for spec in TOPICS for model in spec.messages]
CASES = [
    pytest.param(spec, model, id=f"{spec.name}/{model.message_type}") for spec, model in REGISTERED
]


def example_path(spec: TopicSpec, model: type[Payload]) -> Path:
    return EXAMPLES / spec.name / f"{model.message_type}.v{model.schema_version}.json"


def example(topic_name: str, message_type: str) -> dict[str, Any]:
    spec = topic(topic_name)
    model = spec.message(message_type)
    assert model is not None
    result: dict[str, Any] = json.loads(example_path(spec, model).read_bytes())
    return result


def test_every_registered_message_type_has_an_example_and_a_schema():
    missing = [
        str(path)
        for spec, model in REGISTERED
        for path in (example_path(spec, model), ROOT / schema_path(spec, model))
        if not path.is_file()
    ]
    assert missing == []


def test_no_orphan_examples_or_schemas():
    expected_examples = {example_path(spec, model) for spec, model in REGISTERED}
    expected_schemas = {ROOT / schema_path(spec, model) for spec, model in REGISTERED}
    assert set(EXAMPLES.rglob("*.json")) == expected_examples
    assert set((ROOT / "contracts" / "schemas").rglob("*.json")) == expected_schemas


@pytest.mark.parametrize(("spec", "model"), CASES)
def test_example_decodes_to_its_model_and_round_trips(spec, model):
    raw = example_path(spec, model).read_bytes()

    envelope = decode(spec, raw)
    wire = envelope.to_json()

    assert type(envelope.payload) is model
    assert decode(spec, wire) == envelope
    # The examples are written in the canonical wire form: nothing is lost or reworded.
    assert json.loads(wire) == json.loads(raw)


@pytest.mark.parametrize(("spec", "model"), CASES)
def test_example_validates_against_its_exported_json_schema(spec, model):
    schema = json.loads((ROOT / schema_path(spec, model)).read_bytes())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    document = json.loads(example_path(spec, model).read_bytes())

    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]

    assert errors == []


@pytest.mark.parametrize(("spec", "model"), CASES)
def test_example_can_be_rebuilt_with_envelope_wrap(spec, model):
    original = decode(spec, example_path(spec, model).read_bytes())

    rewrapped = Envelope.wrap(
        original.payload,
        tenant_id=original.tenant_id,
        occurred_at=original.occurred_at,
        correlation_id=original.correlation_id,
        causation_id=original.causation_id,
        message_id=original.message_id,
        source_occurred_at=original.source_occurred_at,
    )

    assert decode(spec, rewrapped.to_json()) == original


def test_exported_schema_refuses_what_the_model_refuses():
    spec = topic(DISPATCH)
    model = spec.message("payment.recorded")
    assert model is not None
    validator = Draft202012Validator(envelope_schema(spec, model))
    document = example(DISPATCH, "payment.recorded")

    wrong_type = {**document, "type": "job.canceled"}
    three_decimals = {**document, "payload": {**document["payload"], "amount": "10.005"}}

    assert not validator.is_valid(wrong_type)
    assert not validator.is_valid(three_decimals)
    assert validator.is_valid({**document, "added_later": True})  # forward compatible


def test_dispatch_story_ids_line_up():
    customer = example(DISPATCH, "customer.upserted")["payload"]
    prop = example(DISPATCH, "property.upserted")["payload"]
    technician = example(DISPATCH, "technician.upserted")["payload"]
    dispatched = example(DISPATCH, "job.dispatched")
    job = dispatched["payload"]
    assigned = example(DISPATCH, "dispatch.assigned")["payload"]
    status = example(DISPATCH, "dispatch.status_changed")["payload"]

    assert prop["customer_id"] == customer["customer_id"]
    assert job["customer_id"] == customer["customer_id"]
    assert job["property_id"] == prop["property_id"]
    assert job["technician_id"] == technician["technician_id"]
    assert assigned["dispatch"]["technician_id"] == technician["technician_id"]
    assert status["dispatch_id"] == job["dispatch"]["dispatch_id"]
    rescheduled = example(DISPATCH, "job.rescheduled")["payload"]
    assert rescheduled["schedule"] == assigned["dispatch"]["arrival_window"]
    followers = (
        "dispatch.assigned",
        "dispatch.status_changed",
        "job.rescheduled",
        "job.started",
        "job.work_completed",
        "job.quality_checked",
        "job.invoiced",
        "payment.recorded",
        "document.added",
    )
    for message_type in followers:
        document = example(DISPATCH, message_type)
        assert document["payload"]["job_id"] == job["job_id"], message_type
        assert document["correlation_id"] == dispatched["message_id"], message_type
    assert example(DISPATCH, "job.canceled")["payload"]["job_id"] != job["job_id"]
    assert example(DISPATCH, "job.quality_checked")["payload"]["outcome"] == "passed"


def test_payment_covers_the_job_total_including_tax():
    job = example(DISPATCH, "job.dispatched")["payload"]
    lines = [
        (Decimal(i["quantity"]) * Decimal(i["unit_price"]), i["taxable"]) for i in job["line_items"]
    ]
    subtotal = sum((amount for amount, _ in lines), Decimal(0))
    taxable = sum((amount for amount, is_taxable in lines if is_taxable), Decimal(0))
    tax = (taxable * Decimal(job["tax_rate"])).quantize(Decimal("0.01"))
    total = subtotal + tax

    snapshot = example("invoicing.commands.v1", "invoice.render")["payload"]["snapshot"]
    created = example("jobs.lifecycle.v1", "job.created")["payload"]
    paid = example("jobs.lifecycle.v1", "job.payment_recorded")["payload"]

    assert Decimal(example(DISPATCH, "payment.recorded")["payload"]["amount"]) == total
    assert (Decimal(snapshot["subtotal"]), Decimal(snapshot["tax"])) == (subtotal, tax)
    assert Decimal(snapshot["total"]) == Decimal(created["total"]) == total
    assert Decimal(paid["amount_paid"]) == total
    assert Decimal(paid["balance_due"]) == 0


def demo_zones() -> dict[str, str]:
    """Each demo tenant's IANA zone, read from the demo loader without running it."""
    tree = ast.parse((ROOT / "deploy" / "demo" / "load_demo.py").read_text())
    (tenants,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "TENANTS"
    ]
    return {tenant: row[1] for tenant, row in ast.literal_eval(tenants).items()}


def local_times(node: Any) -> list[datetime]:
    """Every timestamp in ``node`` written with a UTC offset rather than ``Z``."""
    if isinstance(node, dict):
        return [t for value in node.values() for t in local_times(value)]
    if isinstance(node, list):
        return [t for value in node for t in local_times(value)]
    if isinstance(node, str) and LOCAL_TIME.fullmatch(node):
        return [datetime.fromisoformat(node)]
    return []


LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


@pytest.mark.parametrize(("spec", "model"), CASES)
def test_local_times_carry_the_tenant_s_real_offset(spec, model):
    document = json.loads(example_path(spec, model).read_bytes())
    zone = ZoneInfo(demo_zones()[document["tenant_id"]])

    for at in local_times(document):
        real = at.replace(tzinfo=None).replace(tzinfo=zone).utcoffset()
        assert at.utcoffset() == real, f"{at.isoformat()} is not {zone.key} ({real})"
