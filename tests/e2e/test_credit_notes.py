"""Credit notes through Kafka (issue 16): a tenant whose convention is credit notes (set
through the settings API) sees upstream's job.lines_changed that lowers an issued
invoice leave the invoice as issued and publish invoice.credited, with its timeline row
and the credit note on the invoice."""

import json

import asyncpg
import pytest

from jobline_contracts import facts
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.flows import billable_job
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]
FACTS = DISPATCH_EVENTS.name


def of(job: JobStory, message_type: str):
    def matches(seen: Seen) -> bool:
        return seen.key == job.key.encode() and json.loads(seen.value)["type"] == message_type

    return matches


async def test_lowered_lines_issue_a_credit_note_and_leave_the_invoice_as_issued(
    api, db: asyncpg.Pool, publisher: FactPublisher, watch, tenant: str
):
    async with db.acquire() as conn:
        admin = await issue_token(conn, tenant, "admin")
    convention = {"invoice_revision_convention": "credit_note"}
    answer = await api.patch(
        "/v1/tenant/settings", json=convention, headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 200, answer.text
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    job = await billable_job(publisher, watch, tenant)
    await publisher.publish(FACTS, job.envelope(job.invoiced()), job.key)
    await lifecycle.wait_for(of(job, "invoice.issued"))
    issued = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()

    # Upstream takes the water heater off: only the untaxed labour (237.50) stays.
    labour = [li for li in job.dispatched().line_items if not li.taxable]
    lowered = facts.JobLinesChanged(
        job_id=job.job_id, line_items=labour, tax_rate=job.dispatched().tax_rate
    )
    await publisher.publish(FACTS, job.envelope(lowered), job.key)
    (credited,) = await lifecycle.wait_for(of(job, "invoice.credited"))
    payload = json.loads(credited.value)["payload"]
    assert (payload["credit_note_number"], payload["invoice_number"]) == (
        "CN-000001",
        issued["invoice_number"],
    )
    assert (payload["credited"], payload["tax"], payload["billed"]) == (
        "971.99",  # 1,209.49 - 237.50
        "72.00",  # all the tax the invoice billed
        "237.50",
    )
    invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert (invoice["revision"], invoice["snapshot"]) == (1, issued["snapshot"])
    assert [(n["number"], n["amount"], n["tax"]) for n in invoice["credit_notes"]] == [
        ("CN-000001", "971.99", "72.00")
    ]
    items = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    assert "invoice.credited" in [e["type"] for e in items]
