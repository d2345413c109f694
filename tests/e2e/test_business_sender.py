"""Customer emails go from the business: its name and address (tenant settings) in From,
replies to it, invoice emails in its wording, through the running jobs, comms and
invoicing services into the SMTP catcher."""

import email
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from e2e.test_communications import billable, invoice_pdf, job_with_contacts, recipient_ids, until

from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.sandboxes import Sandboxes

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service")]


def mail_to(mail_dir: Path, address: str) -> EmailMessage:
    """The one message the SMTP catcher stored for ``address``."""
    found = []
    for path in mail_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in {a for _, a in getaddresses([str(message["To"])])}:
            found.append(message)
    (message,) = found
    assert isinstance(message, EmailMessage)
    return message


async def test_an_email_is_from_the_business_name_and_address_with_replies_to_it(
    api, db: asyncpg.Pool, publisher, watch, tenant: str, sandboxes: Sandboxes
):
    async with db.acquire() as conn:
        admin = await issue_token(conn, tenant, "admin")
    business = {"business_name": "Acme Plumbing & Heating", "business_email": "office@acme.example"}
    answer = await api.patch(
        "/v1/tenant/settings", json=business, headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 200, answer.text
    dana = f"dana-{uuid4().hex[:8]}@example.com"
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", None, dana)])
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={
            "channel": "email",
            "recipient_ids": [(await recipient_ids(api, job))["Dana"]],
            "subject": "Your visit tomorrow",
            "body": "We arrive between 8 and 10.",
        },
    )
    assert sent.status_code == 202, sent.text
    await until(
        api,
        f"/v1/communications/{sent.json()['communication_id']}",
        lambda c: c["deliveries"][0]["status"] == "sent",
    )
    message = mail_to(sandboxes.mail_dir, dana)
    assert getaddresses([str(message["From"])]) == [
        ("Acme Plumbing & Heating", "office@acme.example")
    ]
    assert str(message["Reply-To"]) == "office@acme.example"


@pytest.mark.usefixtures("invoicing_service")
async def test_an_invoice_email_is_in_the_wording_the_tenant_set(
    api, db: asyncpg.Pool, publisher, watch, tenant: str, sandboxes: Sandboxes
):
    async with db.acquire() as conn:
        admin = await issue_token(conn, tenant, "admin")
    wording = {
        "business_name": "Acme Plumbing",
        "invoice_email_subject": "{business_name}: invoice {invoice_number} for {job_number}",
        "invoice_email_body": "Hello,\n\n{amount_due} is due on invoice {invoice_number}.",
    }
    answer = await api.patch(
        "/v1/tenant/settings", json=wording, headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 200, answer.text
    unknown = {"invoice_email_body": "Dear {customer_name}"}
    refused = await api.patch(
        "/v1/tenant/settings", json=unknown, headers={"Authorization": f"Bearer {admin}"}
    )
    assert refused.status_code == 422
    assert "names unknown fields customer_name" in refused.json()["error"]["message"]
    dana = f"dana-{uuid4().hex[:8]}@example.com"
    job = await billable(publisher, watch, tenant, [("Dana", None, dana)])
    await invoice_pdf(api, job)
    number = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["snapshot"]["invoice_number"]
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/invoice/sends",
        json={"recipient_ids": list((await recipient_ids(api, job)).values())},
    )
    assert sent.status_code == 202, sent.text
    await until(
        api,
        f"/v1/jobs/{job.job_id}/invoice/sends",
        lambda s: s["items"][0]["deliveries"][0]["status"] == "sent",
    )
    message = mail_to(sandboxes.mail_dir, dana)
    assert message["Subject"] == f"Acme Plumbing: invoice {number} for {job.number}"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n").strip()  # the wire's line ends
    assert text == f"Hello,\n\n$1,209.49 is due on invoice {number}."
