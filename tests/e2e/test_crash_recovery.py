"""Killing the jobs service between commit and publish loses no lifecycle event; killing it
during a request leaves an Idempotency-Key that the client's retry takes over."""

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from jobline_contracts import facts
from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess, jobs_env
from jobline_testing.stories import JobStory

pytestmark = pytest.mark.e2e


async def test_sigkill_after_commit_before_publish_loses_no_lifecycle_event(
    own_database_url: str,
    kafka_bootstrap: str,
    service_logs: Path,
    publisher: FactPublisher,
    watch,
):
    # A database of its own: no other jobs process (and its relay) may see this outbox.
    conn = await asyncpg.connect(own_database_url)
    tenant = "crash-test"
    await add_tenant(conn, tenant, "Crash Test Plumbing", "UTC", "USD")
    env = jobs_env(own_database_url, kafka_bootstrap, f"jobs-crash-{uuid.uuid4().hex[:8]}")
    # The first process commits facts but never publishes: its relay is off, so every
    # outbox row it writes is, by construction, committed and not yet sent.
    silent = ServiceProcess("jobs", {**env, "JOBLINE_JOBS_ROLES": "api,consume"}, service_logs)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    silent.start()
    try:
        for payload in (story.dispatched(), story.started()):
            await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)

        async def committed_not_sent() -> bool:
            pending = await conn.fetchval(
                "SELECT count(*) FROM jobs.outbox WHERE topic = $1 AND key = $2",
                JOBS_LIFECYCLE.name,
                story.key.encode(),
            )
            return bool(pending == 3)  # job.created, job.dispatch_assigned, job.status_changed

        await eventually(committed_not_sent, within=30)
    finally:
        silent.kill()
    assert lifecycle.matching(lambda s: s.key == story.key.encode()) == []

    restarted = ServiceProcess("jobs", env, service_logs)
    restarted.start()
    try:
        seen = await lifecycle.wait_for(lambda s: s.key == story.key.encode(), count=3)
        assert [json.loads(s.value)["type"] for s in seen] == [
            "job.created",
            "job.dispatch_assigned",
            "job.status_changed",
        ]

        async def outbox_drained() -> bool:
            return bool(await conn.fetchval("SELECT count(*) FROM jobs.outbox") == 0)

        await eventually(outbox_drained, within=10)
    finally:
        restarted.stop()
        await conn.close()


async def test_a_request_killed_with_its_idempotency_key_is_taken_over_by_the_retry(
    own_database_url: str, kafka_bootstrap: str, service_logs: Path, publisher: FactPublisher
):
    conn = await asyncpg.connect(own_database_url)
    tenant = "crash-keys"
    await add_tenant(conn, tenant, "Crash Keys Plumbing", "UTC", "USD")
    token = await issue_token(conn, tenant, "operator")
    env = {
        **jobs_env(own_database_url, kafka_bootstrap, f"jobs-keys-{uuid.uuid4().hex[:8]}"),
        "JOBLINE_JOBS_IDEMPOTENCY_LEASE_SECONDS": "1",
    }
    first = ServiceProcess("jobs", env, service_logs)
    first.start()
    story = JobStory(tenant)
    dana = facts.Contact(contact_id=uuid.uuid4(), name="Dana", phone="+15555550161", email=None)
    customer = facts.CustomerUpserted(
        customer_id=story.customer_id, name="Dana Whitfield", contacts=[dana]
    )
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(customer), str(story.customer_id))
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.dispatched()), story.key)

    async def job_exists() -> bool:
        found = "SELECT count(*) FROM jobs.jobs WHERE job_id = $1"
        return bool(await conn.fetchval(found, story.job_id))

    await eventually(job_exists, within=30)
    path = f"/v1/jobs/{story.job_id}/communications"
    body = {"channel": "sms", "recipient_ids": [str(dana.contact_id)], "body": "On our way"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "crash-1"}
    lock = await asyncpg.connect(own_database_url)
    try:
        # Holding the job's row: the send claims its key, then waits inside its transaction.
        in_tx = lock.transaction()
        await in_tx.start()
        await lock.execute("SELECT 1 FROM jobs.jobs WHERE job_id = $1 FOR UPDATE", story.job_id)
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as api:
            cut_short = asyncio.create_task(api.post(path, json=body, headers=headers))

            async def waiting_on_the_row() -> bool:
                waiting = """SELECT count(*) FROM pg_stat_activity
                              WHERE datname = current_database() AND wait_event_type = 'Lock'"""
                return bool(await conn.fetchval(waiting))

            await eventually(waiting_on_the_row, within=10)
            first.kill()
            with pytest.raises(httpx.TransportError):
                await cut_short
        await in_tx.rollback()
    finally:
        await lock.close()

    second = ServiceProcess("jobs", env, service_logs)
    second.start()
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as api:
            answers: list[httpx.Response] = []

            async def retry_accepted() -> bool:
                # 409 in_progress until the killed request's lease (1 s) has run out.
                answers.append(await api.post(path, json=body, headers=headers))
                return answers[-1].status_code == 202

            await eventually(retry_accepted, within=20, every=0.3)
            sent = answers[-1]
            replayed = await api.post(path, json=body, headers=headers)
        sends = await conn.fetch(
            "SELECT communication_id FROM jobs.communications WHERE job_id = $1", story.job_id
        )
        assert [str(s["communication_id"]) for s in sends] == [sent.json()["communication_id"]]
        assert replayed.json() == sent.json()
        assert replayed.headers["idempotent-replayed"] == "true"
        assert any("taken over from a request" in line for line in second.log_lines())
    finally:
        second.stop()
        await conn.close()
