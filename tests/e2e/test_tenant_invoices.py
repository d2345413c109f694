"""The tenant's settings on its real invoice PDFs, across the running jobs and invoicing
services: an admin sets them through the API, upstream facts bring the job and its
payment through Kafka, WeasyPrint draws the PDF, pypdf reads it back."""

import asyncio
import io
import json
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from babel.dates import format_date
from pypdf import PdfReader

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.flows import billable_job, invoiced_job
from jobline_testing.kafka import FactPublisher
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("invoicing_service")]


async def admin(db: asyncpg.Pool, jobs_service: ServiceProcess, tenant: str) -> httpx.AsyncClient:
    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(base_url=jobs_service.url, timeout=30, headers=headers)


async def pdf_text(api: httpx.AsyncClient, job: JobStory, within: float = 60.0) -> str:
    """The current PDF's text, following 202s until it is rendered."""
    deadline = time.monotonic() + within
    while (answer := await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")).status_code == 202:
        assert time.monotonic() < deadline, "the invoice was not rendered in time"
        await asyncio.sleep(0.5)
    assert answer.status_code == 200, answer.text
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)


async def test_an_aud_tenants_pdf_reads_tax_invoice_with_its_abn(
    db, jobs_service, publisher: FactPublisher, watch, tenant: str
):
    async with db.acquire() as conn:
        await add_tenant(conn, tenant, "Harbour Heating", "Australia/Sydney", "AUD")
    async with await admin(db, jobs_service, tenant) as api:
        changed = await api.patch(
            "/v1/tenant/settings",
            json={"tax_id": "51 824 753 556", "business_phone": "+61 2 9000 1234"},
        )
        assert changed.status_code == 200, changed.text
        job = await invoiced_job(publisher, watch, tenant)
        text = await pdf_text(api, job)
    assert "Tax Invoice" in text
    assert "ABN 51 824 753 556" in text
    assert "+61 2 9000 1234" in text
    assert "Sam Ortiz" in text  # the technician


async def test_a_usd_tenants_pdf_shows_its_payment_lines(
    db, jobs_service, publisher: FactPublisher, watch, tenant: str
):
    async with await admin(db, jobs_service, tenant) as api:
        job = await billable_job(publisher, watch, tenant)
        lifecycle = await watch(JOBS_LIFECYCLE.name)
        await publisher.publish(DISPATCH_EVENTS.name, job.envelope(job.invoiced()), job.key)
        await publisher.publish(DISPATCH_EVENTS.name, job.envelope(job.paid("209.49")), job.key)
        await lifecycle.wait_for(
            lambda s: s.key == job.key.encode() and b"job.payment_recorded" in s.value
        )
        text = await pdf_text(api, job)
    paid_at = await db.fetchval(
        "SELECT recorded_at FROM jobs.payments WHERE job_id = $1", job.job_id
    )
    paid_on = paid_at.astimezone(ZoneInfo("America/Denver")).date()
    assert "PAYMENTS RECEIVED" in text  # the section's heading, upper-cased by the CSS
    assert f"{format_date(paid_on, format='medium', locale='en_US')} Card $209.49" in text
    assert "Tax Invoice" not in text
    assert "$1,000.00" in text  # the balance left


async def test_a_job_dispatched_without_a_tax_rate_is_taxed_at_the_tenants_default(
    db, jobs_service, publisher: FactPublisher, watch, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    async with await admin(db, jobs_service, tenant) as api:
        changed = await api.patch("/v1/tenant/settings", json={"default_tax_rate": "0.1"})
        assert changed.status_code == 200, changed.text
        job = JobStory(tenant)
        for party in (job.customer(), job.property(), job.technician()):
            await publisher.publish(DISPATCH_EVENTS.name, job.envelope(party), job.key)
        # As an upstream system that has no rate to give writes it: no tax_rate at all.
        untaxed = json.loads(job.envelope(job.dispatched()).to_json())
        del untaxed["payload"]["tax_rate"]
        await publisher.publish_raw(
            DISPATCH_EVENTS.name, json.dumps(untaxed).encode(), job.key.encode()
        )
        await lifecycle.wait_for(lambda s: s.key == job.key.encode())
        detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
    money = detail["money"]
    taxable = sum(
        Decimal(li["quantity"]) * Decimal(li["unit_price"])
        for li in detail["line_items"]
        if li["taxable"]
    )
    assert Decimal(detail["tax_rate"]) == Decimal("0.1")
    assert Decimal(money["tax"]) == (taxable * Decimal("0.1")).quantize(Decimal("0.01"))
    assert Decimal(money["total"]) == Decimal(money["subtotal"]) + Decimal(money["tax"])
