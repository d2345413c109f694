"""Operator actions over HTTP on the running jobs service publish exactly their lifecycle
events on jobs.lifecycle.v1, in order per job."""

import json
from datetime import timedelta

import asyncpg
import httpx
import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import NOW, JobStory

pytestmark = pytest.mark.e2e


def types_of(seen: list[Seen]) -> list[str]:
    return [json.loads(s.value)["type"] for s in seen]


async def test_actions_publish_exactly_their_events_in_order(
    jobs_service: ServiceProcess, publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    original, recall = JobStory(tenant), JobStory(tenant)
    for payload in (
        original.dispatched(NOW - timedelta(days=2)),
        original.started(),
        original.work_completed(),
    ):
        await publisher.publish(DISPATCH_EVENTS.name, original.envelope(payload), original.key)
    await publisher.publish(DISPATCH_EVENTS.name, recall.envelope(recall.dispatched()), recall.key)
    await lifecycle.wait_for(lambda s: s.key == recall.key.encode(), count=2)
    await lifecycle.wait_for(lambda s: s.key == original.key.encode(), count=4)

    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=jobs_service.url, headers=headers) as api:
        steps = [
            ("defer", {"reason": "dispute"}),
            ("undefer", None),
            ("subjobs", {"title": "Deposit", "share": {"percent": "20"}}),  # billable at once
        ]
        for action, body in steps:
            answer = await api.post(f"/v1/jobs/{original.job_id}/{action}", json=body)
            assert answer.status_code in {200, 201}, answer.text
        linked = await api.post(
            f"/v1/jobs/{recall.job_id}/recall-link",
            json={"original_job_id": str(original.job_id), "reason": "leak"},
        )
        assert linked.status_code == 201, linked.text
        refused = await api.post(f"/v1/jobs/{original.job_id}/undefer")
        assert refused.status_code == 409

    on_original = await lifecycle.wait_for(lambda s: s.key == original.key.encode(), count=7)
    assert types_of(on_original)[4:] == ["job.deferred", "job.undeferred", "job.subjob_scheduled"]
    on_recall = await lifecycle.wait_for(lambda s: s.key == recall.key.encode(), count=3)
    assert types_of(on_recall)[2:] == ["job.recall_linked"]
    subjob = json.loads(on_original[-1].value)["payload"]["subjob_id"]
    created = await lifecycle.wait_for(lambda s: s.key == subjob.encode(), count=2)
    # Undated, the subjob is billable at once: created, then in Awaiting billing.
    assert types_of(created) == ["job.created", "subjob.became_billable"]
    became = json.loads(created[-1].value)["payload"]
    assert (became["parent_job_id"], became["currency"]) == (str(original.job_id), "USD")
    # The refused un-deferral and the zero chargeback (no commission rate) published nothing.
    assert len(lifecycle.matching(lambda s: s.key == original.key.encode())) == 7
