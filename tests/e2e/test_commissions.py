"""Commissions end to end: facts in on dispatch.events.v1 (work completed by two
technicians, the job's technician reassigned), commission.entry_recorded and
job.technician_reassigned out on jobs.lifecycle.v1; a reassignment to an unknown
technician dead-lettered with its reason; the payroll statement over HTTP."""

import json
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import httpx
import pytest

from jobline_contracts import facts
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import NOW, JobStory

pytestmark = pytest.mark.e2e


def of_type(kind: str, job: JobStory):
    def match(seen: Seen) -> bool:
        return seen.key == job.key.encode() and json.loads(seen.value)["type"] == kind

    return match


async def test_two_technicians_earn_their_split_and_a_reassignment_is_published(
    publisher: FactPublisher, watch, tenant: str, api: httpx.AsyncClient
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    dlq = await watch(DISPATCH_EVENTS.dlq)
    job = JobStory(tenant)
    helper = uuid4()
    window = facts.ArrivalWindow(start=NOW, end=NOW + timedelta(hours=1))
    second = facts.DispatchRecord(dispatch_id=uuid4(), technician_id=helper, arrival_window=window)
    helper_upserted = facts.TechnicianUpserted(
        technician_id=helper, name="Priya Nair", commission_rate=Decimal("0.2")
    )
    story = [
        job.technician(),  # Sam Ortiz, 10 %
        helper_upserted,
        job.dispatched(NOW - timedelta(hours=3)),
        facts.DispatchAssigned(job_id=job.job_id, dispatch=second),
        job.started(),
        facts.DispatchStatusChanged(
            job_id=job.job_id, dispatch_id=job.dispatch_id, status="completed"
        ),
        facts.DispatchStatusChanged(
            job_id=job.job_id, dispatch_id=second.dispatch_id, status="completed"
        ),
        job.work_completed(),
        facts.TechnicianReassigned(job_id=job.job_id, technician_id=helper, reason="Sam is away"),
    ]
    for payload in story:
        await publisher.publish(DISPATCH_EVENTS.name, job.envelope(payload), job.key)
    unknown = uuid4()
    stray = job.envelope(facts.TechnicianReassigned(job_id=job.job_id, technician_id=unknown))
    await publisher.publish(DISPATCH_EVENTS.name, stray, job.key)

    earned = await lifecycle.wait_for(of_type("commission.entry_recorded", job), count=2)
    [reassigned] = await lifecycle.wait_for(of_type("job.technician_reassigned", job))
    # Other sessions' jobs services read the same topic and dead-letter this tenant's
    # facts as unknown_tenant in their databases: ours is the one that names the rule.
    [dead] = await dlq.wait_for(
        lambda s: (
            str(stray.message_id).encode() in s.value
            and s.headers.get("x-dlq-kind") == "unknown_technician"
        ),
        within=45,
    )

    entries = {e["technician_id"]: e for e in (json.loads(s.value)["payload"] for s in earned)}
    assert set(entries) == {str(job.technician_id), str(helper)}
    # One completed visit each: the 1,209.49 total splits in two halves to the cent.
    assert sum(Decimal(e["basis"]) for e in entries.values()) == Decimal("1209.49")
    for e, rate in ((entries[str(job.technician_id)], "0.1"), (entries[str(helper)], "0.2")):
        assert e["kind"] == "earned"
        assert Decimal(e["amount"]) == (Decimal(e["basis"]) * Decimal(rate)).quantize(
            Decimal("0.01")
        )
    moved = json.loads(reassigned.value)["payload"]
    assert (moved["technician_id"], moved["previous_technician_id"]) == (
        str(helper),
        str(job.technician_id),
    )
    assert dead.headers["x-dlq-kind"] == "unknown_technician"
    assert str(unknown) in dead.headers["x-dlq-reason"]

    statement = await api.get(
        "/v1/commissions",
        params={
            "from": (NOW - timedelta(days=1)).isoformat(),
            "to": (NOW + timedelta(days=1)).isoformat(),
        },
    )
    lines = {line["technician_id"]: line for line in statement.json()["technicians"]}
    assert lines[str(helper)]["net"] == entries[str(helper)]["amount"]
    detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
    assert detail["technician"]["id"] == str(helper)
