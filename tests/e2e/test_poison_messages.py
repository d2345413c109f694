"""Poison on ``dispatch.events.v1``: hypothesis builds a batch of random and malformed
messages from the real contract vocabulary; every one must be dead-lettered with its own
bytes and a reason, the consumer must keep up, and the tenant's state must not move."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jobline_contracts import facts
from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.dead_letter_kinds import DlqKind
from jobline_contracts.envelope import EnvelopeHeader, Payload
from jobline_contracts.tenancy import foreign_blob_keys
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE, TOPICS
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import NOW, JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]

FACTS = DISPATCH_EVENTS.name
CASES = (
    "bytes", "invalid_utf8", "not_object", "random_object", "missing_field", "wrong_type",
    "unknown_type", "bad_payload", "newer_version", "naive_timestamp", "huge_string",
    "wrong_tenant", "unknown_job",
)  # fmt: skip
PER_CASE = 7  # 91 messages in all
MODELS: dict[str, type[Payload]] = {m.message_type: m for m in DISPATCH_EVENTS.messages}
# Facts that create state on their own; the generator only sends them for unknown tenants.
CREATING = {"customer.upserted", "property.upserted", "technician.upserted", "job.dispatched"}
HEADER_FIELDS = sorted(EnvelopeHeader.model_fields)
REQUIRED_HEADER_FIELDS = sorted(
    n for n, f in EnvelopeHeader.model_fields.items() if f.is_required()
)
FOREIGN_TYPES = sorted(
    {m.message_type for t in TOPICS if t is not DISPATCH_EVENTS for m in t.messages}
)
# Every kind a dead letter carries is one docs/asyncapi.yaml documents.
KNOWN_KINDS = frozenset(DlqKind)


def _window() -> facts.ArrivalWindow:
    return facts.ArrivalWindow(start=NOW, end=NOW + timedelta(hours=2))


def _visit(story: JobStory) -> facts.DispatchRecord:
    return facts.DispatchRecord(
        dispatch_id=uuid4(), technician_id=story.technician_id, arrival_window=_window()
    )


def _document(story: JobStory, *, of_job: bool) -> facts.DocumentAdded:
    return facts.DocumentAdded(
        document_id=uuid4(),
        job_id=story.job_id if of_job else None,
        property_id=None if of_job else story.property_id,
        kind=facts.DocumentKind.DOCUMENT,
        blob_key=f"{story.tenant_id}/docs/{uuid4()}",
        filename="notes.pdf",
        content_type="application/pdf",
        size_bytes=1024,
    )


# One valid payload per fact type, for ids nobody has seen (fresh uuid4s in every story).
BUILDERS: dict[str, Callable[[JobStory], Payload]] = {
    "customer.upserted": JobStory.customer,
    "property.upserted": JobStory.property,
    "technician.upserted": JobStory.technician,
    "job.dispatched": JobStory.dispatched,
    "dispatch.assigned": lambda s: facts.DispatchAssigned(job_id=s.job_id, dispatch=_visit(s)),
    "dispatch.status_changed": lambda s: facts.DispatchStatusChanged(
        job_id=s.job_id, dispatch_id=s.dispatch_id, status="en_route"
    ),
    "job.rescheduled": lambda s: facts.JobRescheduled(job_id=s.job_id, schedule=_window()),
    "job.started": JobStory.started,
    "job.work_completed": JobStory.work_completed,
    "job.quality_checked": JobStory.quality_checked,
    "job.invoiced": JobStory.invoiced,
    "payment.recorded": lambda s: s.paid("10.00"),
    "job.canceled": lambda s: facts.JobCanceled(job_id=s.job_id, reason="customer moved"),
    "document.added": lambda s: _document(s, of_job=True),
    # issue 16: the books
    "job.lines_changed": lambda s: s.lines_changed(("Part", "10.00")),
    "payment.refunded": lambda s: s.refunded(uuid4(), "5.00"),
    "invoice.voided": lambda s: facts.InvoiceVoided(job_id=s.job_id, reason="in error"),
    "job.technician_reassigned": lambda s: facts.TechnicianReassigned(
        job_id=s.job_id, technician_id=uuid4(), reason="crew change"
    ),
}
assert set(BUILDERS) == set(MODELS), "a fact type has no builder: add one"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
stranger_tenants = st.one_of(
    st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True).map(lambda s: f"nobody-{s}"),
    st.sampled_from(["", "A", "UPPER-case", "-dash", "../etc", "t" * 64, "acme corp"]),
    st.text(max_size=70),
)
huge_strings = st.builds(
    lambda char, n: char * n, st.sampled_from("xé€😀"), st.integers(20_000, 150_000)
)


def _dump(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@st.composite
def envelopes(draw: st.DrawFn, tenant: str) -> dict[str, Any]:
    """A valid envelope (as JSON data) for an unknown job or an unknown tenant."""
    message_type = draw(st.sampled_from(sorted(MODELS)))
    owner = draw(st.sampled_from([tenant, tenant, "nobody-here"]))
    if message_type in CREATING:
        owner = "nobody-here"
    story = JobStory(owner)
    payload = BUILDERS[message_type](story)
    if message_type == "document.added" and draw(st.booleans()):
        payload = _document(story, of_job=False)
    data: dict[str, Any] = json.loads(story.envelope(payload).to_json())
    return data


@st.composite
def poison(draw: st.DrawFn, tenant: str, case: str) -> bytes:  # noqa: PLR0912 - one branch per case
    """One message the jobs consumer must refuse, as wire bytes."""
    if case == "bytes":
        return draw(st.binary(max_size=300))
    if case == "not_object":
        return _dump(draw(json_values.filter(lambda v: not isinstance(v, dict))))
    if case == "random_object":
        keys = st.sampled_from([*HEADER_FIELDS, "payload"]) | st.text(max_size=10)
        return _dump(draw(st.dictionaries(keys, json_values, max_size=8)))
    envelope = draw(envelopes(tenant))
    payload: dict[str, Any] = envelope["payload"]
    if case == "invalid_utf8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80"]))
        field = draw(st.sampled_from(["type", "tenant_id", "message_id"]))
        return _dump(envelope).replace(f'"{field}":"'.encode(), f'"{field}":"'.encode() + bad)
    if case == "missing_field":
        del envelope[draw(st.sampled_from([*REQUIRED_HEADER_FIELDS, "payload"]))]
    elif case == "wrong_type":
        envelope[draw(st.sampled_from([*HEADER_FIELDS, "payload"]))] = draw(wrong_values)
    elif case == "unknown_type":
        names = st.sampled_from(FOREIGN_TYPES) | st.text(max_size=40)
        envelope["type"] = draw(names.filter(lambda name: name not in MODELS))
    elif case == "bad_payload":
        field = draw(st.sampled_from(sorted(MODELS[envelope["type"]].model_fields)))
        if draw(st.booleans()):
            payload.pop(field, None)
        else:
            payload[field] = draw(wrong_values)
    elif case == "newer_version":
        newer = MODELS[envelope["type"]].schema_version + draw(st.integers(1, 10**6))
        envelope["schema_version"] = newer
    elif case == "naive_timestamp":
        naive = draw(st.datetimes()).isoformat()
        if "schedule" in payload and draw(st.booleans()):
            payload["schedule"]["start"] = naive
        else:
            envelope["occurred_at"] = naive
    elif case == "huge_string":
        target = draw(st.sampled_from(["type", "tenant_id", "payload", "extra"]))
        if target == "payload":
            payload[draw(st.sampled_from(sorted(payload)))] = draw(huge_strings)
        elif target == "extra":  # unknown fields are ignored: decodable, then refused
            payload["x-unknown"] = draw(huge_strings)
        else:
            envelope[target] = draw(huge_strings)
    elif case == "wrong_tenant":
        envelope["tenant_id"] = draw(stranger_tenants)
    return _dump(envelope)


def generate_batch(tenant: str) -> list[bytes]:
    """Run hypothesis once per message (fixed seed, the same number of each case),
    collecting what it draws."""
    batch: list[bytes] = []
    for case in CASES:

        @settings(
            max_examples=PER_CASE,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(poison(tenant, case))
        def collect(message: bytes) -> None:
            batch.append(message)

        collect()
    return batch


def expected_kind(raw: bytes, tenant: str) -> str:
    """What the consumer must answer: the codec's verdict, else the domain's refusal."""
    try:
        envelope = decode(DISPATCH_EVENTS, raw)
    except UndecodableMessage as bad:
        return bad.kind
    if foreign_blob_keys(envelope):
        return "foreign_blob_key"  # refused at the consumer's edge, before the domain
    if envelope.tenant_id != tenant:
        return "unknown_tenant"
    assert envelope.type not in CREATING, f"generator bug: {envelope.type} would apply"
    if isinstance(envelope.payload, facts.DocumentAdded) and envelope.payload.job_id is None:
        return "conflict"  # a document for a property the tenant does not have
    return "unknown_job"


async def tenant_rows(db: asyncpg.Pool, tenant: str, marker: JobStory) -> dict[str, int]:
    """Rows the tenant owns in each table facts can touch, except the marker job's own
    (a dispatched job also records placeholder rows for its customer, property and
    technician)."""
    owned_by_marker = {
        "customers": ("customer_id", marker.customer_id),
        "properties": ("property_id", marker.property_id),
        "technicians": ("technician_id", marker.technician_id),
        "contacts": ("contact_id", None),
        **dict.fromkeys(
            ("jobs", "timeline", "dispatches", "payments", "documents"), ("job_id", marker.job_id)
        ),
    }
    counts = {}
    for table, (column, value) in owned_by_marker.items():
        counts[table] = await db.fetchval(
            f"SELECT count(*) FROM jobs.{table} WHERE tenant_id = $1"  # noqa: S608 - fixed names
            f" AND {column} IS DISTINCT FROM $2",
            tenant,
            value,
        )
    return counts


async def test_poison_messages_are_dead_lettered_and_change_nothing(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    batch = generate_batch(tenant)
    assert len(batch) >= 60
    expected = {f"poison-{i}-{uuid4().hex}".encode(): raw for i, raw in enumerate(batch)}
    kinds = {key: expected_kind(raw, tenant) for key, raw in expected.items()}
    marker = JobStory(tenant)
    before = await tenant_rows(db, tenant, marker)
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)

    for key, raw in expected.items():
        await publisher.publish_raw(FACTS, raw, key=key)
    await publisher.publish(FACTS, marker.envelope(marker.dispatched()), marker.key)

    await dlq.wait_for(lambda s: s.key in expected, count=len(expected), within=45)
    dead: dict[bytes, list[Seen]] = {}
    for seen in dlq.matching(lambda s: s.key in expected):
        dead.setdefault(seen.key or b"", []).append(seen)
    assert set(dead) == set(expected)
    for key, records in dead.items():
        for record in records:
            assert record.value == expected[key], key
            assert record.headers["x-dlq-kind"] in KNOWN_KINDS, record.headers
            assert record.headers["x-dlq-kind"] == kinds[key], (key, record.headers)
            assert record.headers["x-dlq-reason"].strip(), key
            assert record.headers["x-original-topic"] == FACTS
    await lifecycle.wait_for(
        lambda s: s.key == marker.key.encode() and json.loads(s.value)["type"] == "job.created"
    )
    assert await tenant_rows(db, tenant, marker) == before
    assert (
        await db.fetchval(
            "SELECT count(*) FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
            tenant,
            marker.job_id,
        )
        == 1
    )
