"""The books through Kafka (issue 16): upstream facts in, lifecycle events and the API
out. job.invoiced dates the invoice as upstream did; job.lines_changed after the invoice
revises it; payment.refunded raises the balance; each writes its lifecycle event and its
timeline row; a refund larger than its payment is dead-lettered with the rule."""

import json
from datetime import date
from uuid import uuid4

import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.flows import billable_job
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]
FACTS = DISPATCH_EVENTS.name


def of(job: JobStory, message_type: str):
    def matches(seen: Seen) -> bool:
        return seen.key == job.key.encode() and json.loads(seen.value)["type"] == message_type

    return matches


def of_entry(job: JobStory, kind: str):
    """The job's ``commission.entry_recorded`` of this kind."""

    def matches(seen: Seen) -> bool:
        if not of(job, "commission.entry_recorded")(seen):
            return False
        return bool(json.loads(seen.value)["payload"]["kind"] == kind)

    return matches


async def timeline_types(api, job: JobStory) -> list[str]:
    items = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    return [e["type"] for e in items]


async def test_lines_changed_after_the_invoice_revise_it_and_a_refund_raises_the_balance(
    api, publisher: FactPublisher, watch, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    job = await billable_job(publisher, watch, tenant)
    issued_on, due_on = date(2026, 9, 1), date(2026, 9, 15)  # in the past
    await publisher.publish(FACTS, job.envelope(job.invoiced(issued_on, due_on)), job.key)
    (issued,) = await lifecycle.wait_for(of(job, "invoice.issued"))
    assert json.loads(issued.value)["payload"]["issued_on"] == "2026-09-01"
    invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert (invoice["snapshot"]["issued_on"], invoice["snapshot"]["due_on"]) == (
        "2026-09-01",
        "2026-09-15",
    )

    await publisher.publish(
        FACTS, job.envelope(job.lines_changed(("Expansion tank", "100.00"))), job.key
    )
    (revised,) = await lifecycle.wait_for(of(job, "invoice.revised"))
    await lifecycle.wait_for(of(job, "job.lines_changed"))
    payload = json.loads(revised.value)["payload"]
    assert (payload["revision"], payload["cause"], payload["total"]) == (
        2,
        "job.lines_changed",
        "1317.49",  # 1,209.49 + 100.00 + 8 % tax
    )
    invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert (invoice["revision"], invoice["invoice_number"]) == (2, issued_number(issued))
    assert invoice["snapshot"]["issued_on"] == "2026-09-01"  # the same invoice, revised
    # The commission earned at completion (10 % of 1,209.49) is adjusted to the new total.
    earned, adjusted = [
        json.loads(seen.value)["payload"]
        for kind in ("earned", "adjusted")
        for (seen,) in [await lifecycle.wait_for(of_entry(job, kind))]
    ]
    assert (earned["amount"], earned["basis"], earned["rate"]) == ("120.95", "1209.49", "0.1000")
    assert (adjusted["amount"], adjusted["basis"], adjusted["cause"]) == (
        "10.80",  # 131.75 - 120.95
        "1317.49",
        "job.lines_changed",
    )

    paid = job.paid("1317.49")
    await publisher.publish(FACTS, job.envelope(paid), job.key)
    await lifecycle.wait_for(of(job, "invoice.paid"))
    await publisher.publish(FACTS, job.envelope(job.refunded(paid.payment_id, "300.00")), job.key)
    (refunded,) = await lifecycle.wait_for(of(job, "job.payment_refunded"))
    assert json.loads(refunded.value)["payload"]["balance_due"] == "300.00"
    detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
    assert (detail["step"], detail["money"]["balance_due"]) == ("awaiting_payment", "300.00")
    types = await timeline_types(api, job)
    for expected in (
        "invoice.issued",
        "job.lines_changed",
        "invoice.revised",
        "commission.entry_recorded",
        "invoice.paid",
        "job.payment_refunded",
    ):
        assert expected in types, expected


def issued_number(seen: Seen) -> str:
    number: str = json.loads(seen.value)["payload"]["invoice_number"]
    return number


async def test_a_refund_larger_than_its_payment_is_dead_lettered_and_changes_nothing(
    api, publisher: FactPublisher, watch, tenant: str
):
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    job = await billable_job(publisher, watch, tenant)
    paid = job.paid("50.00")
    await publisher.publish(FACTS, job.envelope(paid), job.key)
    await lifecycle.wait_for(of(job, "job.payment_recorded"))
    for refund in (job.refunded(paid.payment_id, "50.01"), job.refunded(uuid4(), "1.00")):
        await publisher.publish(FACTS, job.envelope(refund), job.key)
    # Other sessions' jobs services (their own databases) may dead-letter these facts as
    # unknown_tenant on the shared topic: only this service's refusals are counted.
    dead = await dlq.wait_for(
        lambda s: s.key == job.key.encode() and s.headers["x-dlq-kind"] == "invalid", count=2
    )
    reasons = [d.headers["x-dlq-reason"] for d in dead]
    assert "a refund cannot exceed its payment" in reasons[0]
    assert "only a recorded payment can be refunded" in reasons[1]
    detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
    assert detail["money"]["amount_paid"] == "50.00"
