"""The jobs service scaled out by role: two ``consume`` processes split the partitions of
one group, two ``relay`` processes split the outbox lanes, an API-only ``serve`` answers
HTTP; together they take facts to lifecycle events as the one-process service does."""

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import httpx
import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess, jobs_env
from jobline_testing.stories import JobStory

pytestmark = pytest.mark.e2e
LANE_HELD = re.compile(r'^jobline_outbox_relay_lane_held\{lane="(\d+)",outbox="jobs"\} 1\.0$', re.M)


def _started(stack: ExitStack, service: ServiceProcess) -> ServiceProcess:
    service.start()
    stack.callback(service.stop)
    return service


@pytest.fixture
def roles(own_database_url: str, kafka_bootstrap: str, service_logs: Path) -> Iterator[dict]:
    env = jobs_env(own_database_url, kafka_bootstrap, f"jobs-roles-{uuid.uuid4().hex[:8]}")
    with ExitStack() as stack:
        yield {
            "consume": [
                _started(stack, ServiceProcess("jobs", env, service_logs, "consume"))
                for _ in range(2)
            ],
            "relay": [
                _started(stack, ServiceProcess("jobs", env, service_logs, "relay"))
                for _ in range(2)
            ],
            "api": _started(
                stack, ServiceProcess("jobs", {**env, "JOBLINE_JOBS_ROLES": "api"}, service_logs)
            ),
        }


def _checks(service: ServiceProcess) -> tuple[bool, dict[str, str]]:
    answer = httpx.get(f"{service.url}/readyz", timeout=5)
    checks: dict[str, str] = answer.json()["checks"]
    return answer.status_code == 200, checks


def _lanes(service: ServiceProcess) -> set[int]:
    metrics = httpx.get(f"{service.url}/metrics", timeout=5).text
    return {int(lane) for lane in LANE_HELD.findall(metrics)}


async def test_consume_relay_and_api_processes_run_the_service_between_them(
    roles: dict, own_database_url: str, publisher: FactPublisher, watch
) -> None:
    consumers, relays, api = roles["consume"], roles["relay"], roles["api"]

    async def all_ready() -> bool:  # the first consumer may still be rebalancing
        return all(_checks(service)[0] for service in (*consumers, *relays, api))

    await eventually(all_ready, within=30)
    # Each role is ready on what it needs: consumers read partitions, relays are members.
    for service in consumers:
        assert "consumer dispatch.events.v1" in _checks(service)[1]
        assert "outbox relay" not in _checks(service)[1]
    assert set(_checks(relays[0])[1]) == {"postgres", "outbox relay"}
    assert set(_checks(api)[1]) == {"postgres"}  # the API needs no Kafka

    async def lanes_split() -> bool:
        held = [_lanes(relay) for relay in relays]
        return all(held) and not held[0] & held[1] and len(held[0] | held[1]) == 8

    await eventually(lanes_split, within=30)

    conn = await asyncpg.connect(own_database_url)
    try:
        await add_tenant(conn, "roles", "Roles Plumbing", "UTC", "USD")
        token = await issue_token(conn, "roles", "operator")
    finally:
        await conn.close()
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    stories = [JobStory("roles") for _ in range(12)]
    for story in stories:
        for payload in (story.dispatched(), story.started()):
            await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)
    keys = {story.key.encode() for story in stories}
    seen = await lifecycle.wait_for(lambda s: s.key in keys, count=3 * len(stories), within=60)
    for story in stories:
        types = [json.loads(s.value)["type"] for s in seen if s.key == story.key.encode()]
        assert types == ["job.created", "job.dispatch_assigned", "job.status_changed"]

    async with httpx.AsyncClient(
        base_url=api.url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        answer = await client.get(f"/v1/jobs/{stories[0].job_id}")
    assert answer.status_code == 200
    assert answer.json()["step"] == "in_progress"
