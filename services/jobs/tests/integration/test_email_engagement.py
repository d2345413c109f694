"""An email's engagement (issue 20) through the bus and PostgreSQL: comms' reports of
its first open and latest deferral, in any order and repeated, leave the earliest open
and the latest deferral on the delivery, and the API's deliveries show them."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import permutations

import asyncpg
import pytest

from jobline_jobs.domain.email_engagement import RecordEngagement
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def test_reports_in_any_order_leave_the_earliest_open_and_the_latest_deferral(
    db: asyncpg.Pool, tmp_path
):
    seeded = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await seeded.job(NOW - timedelta(days=1), steps=3)
    (dana,) = await seeded.contacts(job, ("Dana", None, "dana@example.com"))
    async with client(api_app(db, tmp_path), seeded.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "email", "recipient_ids": [str(dana)], "subject": "Hi", "body": "On"},
        )
        assert sent.status_code == 202, sent.text
        communication_id = sent.json()["communication_id"]
        delivery_id = await db.fetchval(
            "SELECT delivery_id FROM jobs.deliveries WHERE communication_id = $1",
            uuid.UUID(communication_id),
        )

        def report(opened: int | None, deferred: int | None, reason: str | None):
            return RecordEngagement(
                seeded.tenant_id,
                NOW,
                delivery_id,
                at(opened) if opened is not None else None,
                at(deferred) if deferred is not None else None,
                reason,
            )

        reports = [
            report(None, 1, "421 busy"),
            report(None, 3, "451 greylisted"),
            report(5, 3, "451 greylisted"),
            report(4, 3, "421 busy"),  # an earlier open; the same instant, a lesser reason
        ]
        ends = set()
        for order in permutations(reports):
            await db.execute(
                """UPDATE jobs.deliveries SET opened_at = NULL, deferred_at = NULL,
                          deferred_reason = NULL WHERE delivery_id = $1""",
                delivery_id,
            )
            for cmd in [*order, *order]:
                await seeded.send(cmd)
            row = await db.fetchrow(
                """SELECT opened_at, deferred_at, deferred_reason FROM jobs.deliveries
                    WHERE delivery_id = $1""",
                delivery_id,
            )
            ends.add(tuple(row))
        assert ends == {(at(4), at(3), "451 greylisted")}

        (delivery,) = (await api.get(f"/v1/communications/{communication_id}")).json()["deliveries"]
        assert datetime.fromisoformat(delivery["opened_at"]) == at(4)
        assert delivery["deferred_reason"] == "451 greylisted"
        assert delivery["status"] == "queued"  # the status is comms' to move, not these
