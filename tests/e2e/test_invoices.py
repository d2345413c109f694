"""Invoices across the running jobs and invoicing services: issued by job.invoiced, real
WeasyPrint PDFs of each frozen revision, one render for concurrent downloads."""

import asyncio
import io
import json
import time

import httpx
import pytest
from pypdf import PdfReader

from jobline_contracts.topics import DISPATCH_EVENTS, INVOICING_COMMANDS, JOBS_LIFECYCLE
from jobline_testing.flows import billable_job
from jobline_testing.kafka import FactPublisher
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("invoicing_service")]


async def pdf_of(api: httpx.AsyncClient, job: JobStory, within: float = 60.0) -> bytes:
    """Download the current PDF, following 202s until it is ready."""
    deadline = time.monotonic() + within
    while True:
        answer = await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        if answer.status_code == 200:
            return answer.content
        assert answer.status_code == 202, answer.text
        assert time.monotonic() < deadline, "the invoice was not rendered in time"
        await asyncio.sleep(float(answer.headers["retry-after"]) / 4)


async def issued(publisher: FactPublisher, watch, job: JobStory) -> None:
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    await publisher.publish(DISPATCH_EVENTS.name, job.envelope(job.invoiced()), job.key)
    await lifecycle.wait_for(lambda s: s.key == job.key.encode() and b"invoice.issued" in s.value)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_pdf_carries_the_invoice_and_a_changed_job_gets_a_new_one(
    api, publisher: FactPublisher, watch, tenant: str
):
    job = await billable_job(publisher, watch, tenant)
    await issued(publisher, watch, job)
    invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["snapshot"]
    first = await pdf_of(api, job)
    text = text_of(first)
    assert first.startswith(b"%PDF")
    assert invoice["invoice_number"] in text
    for line in ("Water heater", "Labour"):
        assert line in text
    for figure in ("1,137.49", "72.00", "1,209.49"):  # subtotal, tax, total and balance due
        assert figure in text

    lifecycle = await watch(JOBS_LIFECYCLE.name)
    await publisher.publish(DISPATCH_EVENTS.name, job.envelope(job.paid("209.49")), job.key)
    await lifecycle.wait_for(lambda s: s.key == job.key.encode() and b"invoice.revised" in s.value)
    second = await pdf_of(api, job)
    assert second != first
    assert "1,000.00" in text_of(second)  # the new balance due


async def test_concurrent_downloads_trigger_one_render(
    api, publisher: FactPublisher, watch, tenant: str
):
    job = await billable_job(publisher, watch, tenant)
    await issued(publisher, watch, job)
    renders = await watch(INVOICING_COMMANDS.name)
    answers = await asyncio.gather(
        *(api.get(f"/v1/jobs/{job.job_id}/invoice.pdf") for _ in range(6))
    )
    assert {a.status_code for a in answers} <= {200, 202}
    pdf = await pdf_of(api, job)
    commands = renders.matching(lambda s: s.key == job.key.encode())
    assert len(commands) == 1
    assert json.loads(commands[0].value)["type"] == "invoice.render"
    assert all(a.content == pdf for a in answers if a.status_code == 200)
