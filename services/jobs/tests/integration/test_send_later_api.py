"""Issue 18 over HTTP on real PostgreSQL: templates (admin writes, every role reads,
unknown merge fields refused), merged and plain-punctuated sends, and calling off a
scheduled text (it never goes to comms), or not once it has left (409)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.schedule import release_due_communications
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
TEMPLATES = "/v1/tenant/templates"


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path / "blobs")


async def ready(db):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "America/New_York").create()
    job = await t.job(datetime(2026, 12, 8, 14, tzinfo=UTC))
    (dana,) = await t.contacts(job, ("Dana", "+15555550101", "dana@example.com"))
    async with db.acquire() as conn:
        tokens = {r: await issue_token(conn, t.tenant_id, r) for r in ("viewer", "admin")}
    return t, job, dana, {**tokens, "operator": t.token}


async def sms_commands(db, communication_id: str) -> list[dict]:
    rows = await db.fetch("SELECT value FROM jobs.outbox WHERE topic = 'comms.commands.v1'")
    found = [json.loads(r["value"]) for r in rows]
    return [c for c in found if c["payload"]["communication_id"] == communication_id]


async def test_an_admin_writes_templates_and_every_role_reads_them(db, app):
    _, _, _, tokens = await ready(db)
    body = {"name": "On our way", "channel": "sms", "body": "Hi {customer_first_name}"}
    async with client(app, tokens["operator"]) as api:
        refused = await api.post(TEMPLATES, json=body)
    async with client(app, tokens["admin"]) as api:
        made = await api.post(TEMPLATES, json=body)
        path = f"{TEMPLATES}/{made.json()['id']}"
        twice = await api.post(TEMPLATES, json={**body, "name": "on our WAY"})
        changed = await api.put(path, json={**body, "body": "{technician} is on the way"})
    async with client(app, tokens["viewer"]) as api:
        listed = (await api.get(TEMPLATES)).json()
        one = (await api.get(path)).json()
    assert refused.status_code == 403
    assert made.status_code == 201, made.text
    assert twice.status_code == 409
    assert changed.status_code == 200
    assert [(i["name"], i["body"], i["fields"]) for i in listed["items"]] == [
        ("On our way", "{technician} is on the way", ["technician"])
    ]
    assert listed["merge_fields"]["customer_first_name"] == "Customer's first name"
    assert one["updated_by"].startswith("admin:")
    async with client(app, tokens["admin"]) as api:
        assert (await api.delete(path)).status_code == 204
        assert (await api.delete(path)).status_code == 404
        assert (await api.get(TEMPLATES)).json()["items"] == []


async def test_unknown_merge_fields_are_refused_naming_them(db, app):
    _, job, dana, tokens = await ready(db)
    async with client(app, tokens["admin"]) as api:
        template = await api.post(
            TEMPLATES,
            json={
                "name": "Invoice",
                "channel": "email",
                "subject": "Invoice {invoice_no}",
                "body": "Dear {first_name}, {job_number}",
            },
        )
        text = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana)],
                "body": "Hi {name}",
                "merge_fields": True,
            },
        )
        long_name = await api.post(
            TEMPLATES, json={"name": "x" * 81, "channel": "sms", "body": "a"}
        )
    error = template.json()["error"]
    assert template.status_code == 422
    assert error["code"] == "unknown_merge_field"
    assert error["details"] == {"unknown_fields": ["invoice_no", "first_name"]}
    assert error["message"].startswith("{invoice_no}, {first_name} are not merge fields")
    assert text.status_code == 422
    assert text.json()["error"]["details"] == {"unknown_fields": ["name"]}
    assert long_name.status_code == 422


async def test_a_merged_text_with_plain_punctuation_goes_as_the_job_reads(db, app):
    _, job, dana, tokens = await ready(db)
    async with client(app, tokens["operator"]) as api:
        values = (await api.get(f"/v1/jobs/{job.job_id}/merge-fields")).json()["values"]
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana)],
                "body": "Hi {customer_first_name} \u2013 we\u2019ll come {arrival_window}"
                " for {job_number}{invoice_number}" + "." * 60,
                "merge_fields": True,
                "plain_punctuation": True,
            },
        )
    assert sent.status_code == 202, sent.text
    assert values["invoice_number"] is None
    (command,) = await sms_commands(db, sent.json()["communication_id"])
    assert command["payload"]["body"] == (
        f"Hi Dana - we'll come Tue 8 Dec between 09:00 and 10:00 for {job.job_number}" + "." * 60
    )


async def test_a_canceled_scheduled_text_never_goes_to_comms(db, app):
    t, job, dana, tokens = await ready(db)
    async with client(app, tokens["operator"]) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana)],
                "body": "See you tomorrow",
                "send_at": (NOW + timedelta(hours=1)).isoformat(),
            },
        )
        cid = sent.json()["communication_id"]
        canceled = await api.post(f"/v1/jobs/{job.job_id}/communications/{cid}/cancel")
        again = await api.post(f"/v1/jobs/{job.job_id}/communications/{cid}/cancel")
        elsewhere = await api.post(f"/v1/jobs/{uuid.uuid4()}/communications/{cid}/cancel")
    async with client(app, tokens["viewer"]) as api:
        viewer = await api.post(f"/v1/jobs/{job.job_id}/communications/{cid}/cancel")
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    await release_due_communications(bus, lambda: NOW + timedelta(hours=2))
    assert sent.json()["status"] == "scheduled"
    assert canceled.status_code == 200, canceled.text
    assert [d["status"] for d in canceled.json()["deliveries"]] == ["canceled"]
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "this message was canceled already"
    assert elsewhere.status_code == 404
    assert viewer.status_code == 403
    assert await sms_commands(db, cid) == []
    timeline = await db.fetch(
        "SELECT type FROM jobs.timeline WHERE tenant_id = $1 AND job_id = $2",
        t.tenant_id,
        job.job_id,
    )
    assert "communication.canceled" in [r["type"] for r in timeline]


async def test_a_scheduled_text_released_at_its_time_can_no_longer_be_canceled(db, app):
    _, job, dana, tokens = await ready(db)
    async with client(app, tokens["operator"]) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana)],
                "body": "See you tomorrow",
                "send_at": (NOW + timedelta(hours=1)).isoformat(),
            },
        )
        cid = sent.json()["communication_id"]
        bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
        await release_due_communications(bus, lambda: NOW + timedelta(minutes=59))
        assert await sms_commands(db, cid) == []  # not yet its time
        await release_due_communications(bus, lambda: NOW + timedelta(hours=1, seconds=1))
        late = await api.post(f"/v1/jobs/{job.job_id}/communications/{cid}/cancel")
    assert late.status_code == 409
    assert late.json()["error"]["message"] == (
        "this message has already been sent, so it can no longer be canceled"
    )
    assert [c["payload"]["to"] for c in await sms_commands(db, cid)] == ["+15555550101"]
