"""Customer emails go from the business: its name and address (tenant settings) in From,
replies to it, through the running jobs and comms services into the SMTP catcher."""

import email
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from e2e.test_communications import job_with_contacts, recipient_ids, until

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
