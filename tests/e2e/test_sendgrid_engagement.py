"""An email's engagement through SendGrid (issue 20): the sandbox's ``opened@`` ends
delivered and opened, its ``deferred@`` keeps the receiving server's reason, both read
through the jobs API; SendGrid's events replayed twice, newest first, change nothing."""

from typing import Any
from uuid import UUID

import asyncpg
import pytest
from e2e.test_communications import job_with_contacts, recipient_ids, until
from e2e.test_sendgrid import post_events

from jobline_sandboxes.sendgrid_sandbox import magic
from jobline_testing.sandboxes import Sandboxes

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sendgrid_comms_service")]
PEOPLE = [("Olive", None, "opened@example.com"), ("Dev", None, "deferred@example.com")]


def engagement(communication: dict[str, Any]) -> dict[str, tuple[str, bool, str | None]]:
    """Each address's status, whether it was opened, and its latest deferral's reason."""
    return {
        d["address"]: (d["status"], d["opened_at"] is not None, d["deferred_reason"])
        for d in communication["deliveries"]
    }


async def comms_ledger(db: asyncpg.Pool, communication_id: str) -> list[tuple[Any, ...]]:
    rows = await db.fetch(
        """SELECT recipient, status, opened_at, deferred_at, deferred_reason
             FROM comms.deliveries WHERE communication_id = $1 ORDER BY recipient""",
        UUID(communication_id),
    )
    return [tuple(r) for r in rows]


async def test_opened_and_deferred_emails_show_through_the_jobs_api(
    api, publisher, watch, tenant, sandboxes: Sandboxes, sendgrid_comms_service, db
):
    job = await job_with_contacts(publisher, watch, tenant, PEOPLE)
    ids = await recipient_ids(api, job)
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={
            "channel": "email",
            "recipient_ids": [ids["Olive"], ids["Dev"]],
            "subject": "Your visit",
            "body": "Luis comes on Tuesday between 9 and 11.",
        },
    )
    assert sent.status_code == 202, sent.text
    communication_id = sent.json()["communication_id"]
    path = f"/v1/communications/{communication_id}"
    expected = {
        "opened@example.com": ("delivered", True, None),
        "deferred@example.com": ("delivered", False, magic.DEFERRED_RESPONSE),
    }
    first = await until(api, path, lambda c: engagement(c) == expected)
    in_comms = await comms_ledger(db, communication_id)
    assert [(r[0], r[1], r[2] is not None, r[4]) for r in in_comms] == [
        ("deferred@example.com", "delivered", False, magic.DEFERRED_RESPONSE),
        ("opened@example.com", "delivered", True, None),
    ]

    # The conversation reads the same.
    conversation = (await api.get(f"/v1/jobs/{job.job_id}/conversation")).json()
    (message,) = [i for i in conversation["items"] if i["kind"] == "message"]
    assert engagement(message) == expected

    # Every event the sandbox posted, twice, newest first: the same everywhere.
    received = sandboxes.sendgrid.state.received
    posted = [p.event for r in received for p in r.events]
    assert {p.event["event"] for r in received for p in r.events} >= {"open", "deferred"}
    replayed = [*reversed(posted), *reversed(posted)]
    answer = await post_events(sendgrid_comms_service, replayed, sandboxes.sendgrid.signer)
    assert answer.status_code == 204
    assert await comms_ledger(db, communication_id) == in_comms
    # The ledger did not move, so nothing was published: jobs reads as before.
    again = (await api.get(path)).json()
    assert engagement(again) == expected
    assert [d["opened_at"] for d in again["deliveries"]] == [
        d["opened_at"] for d in first["deliveries"]
    ]
