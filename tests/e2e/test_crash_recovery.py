"""Killing the jobs service between commit and publish loses no lifecycle event."""

import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
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
    silent = ServiceProcess("jobs", {**env, "JOBLINE_JOBS_RELAY_ENABLED": "false"}, service_logs)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    silent.start()
    try:
        for payload in (story.dispatched(), story.started()):
            await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)

        async def committed_not_sent() -> bool:
            pending = await conn.fetchval(
                "SELECT count(*) FROM jobs.outbox WHERE key = $1", story.key.encode()
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
