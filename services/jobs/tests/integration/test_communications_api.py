"""Texts, emails and invoice sends over HTTP on real PostgreSQL: the rules, one command per
recipient through the outbox, schedules, statuses from comms events, opt-outs."""

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.schedule import release_due_communications
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 100
PDF = b"%PDF-1.7\ninvoice\n%%EOF"


@pytest.fixture
def blob_dir(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def app(db: asyncpg.Pool, blob_dir):
    return api_app(db, blob_dir)


async def ready_job(db, steps: int = 4):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await t.job(NOW - timedelta(days=1), steps=steps)
    people = await t.contacts(
        job,
        ("Dana", "+15555550101", "dana@example.com"),
        ("Sam", "+15555550102", None),
        ("Ava", None, "ava@example.com"),
    )
    return t, job, people


async def commands_for(db, communication_id: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'comms.commands.v1' ORDER BY outbox_id"
    )
    found = [json.loads(r["value"]) for r in rows]
    return [c for c in found if c["payload"]["communication_id"] == communication_id]


async def lifecycle_of(db, job_id) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'jobs.lifecycle.v1' AND key = $1"
        " ORDER BY outbox_id",
        str(job_id).encode(),
    )
    return [json.loads(r["value"]) for r in rows]


async def test_a_text_to_two_recipients_sends_one_command_each(db, app):
    t, job, (dana, sam, _) = await ready_job(db)
    async with client(app, t.token) as api:
        listed = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana), str(sam)],
                "body": "Luis is on his way",
            },
        )
        shown = (await api.get(f"/v1/communications/{sent.json()['communication_id']}")).json()
    assert {r["name"] for r in listed} == {"Dana", "Sam", "Ava"}
    assert sent.status_code == 202
    sent_commands = await commands_for(db, sent.json()["communication_id"])
    assert sorted(c["payload"]["to"] for c in sent_commands) == ["+15555550101", "+15555550102"]
    assert {c["type"] for c in sent_commands} == {"sms.send"}
    assert sorted(d["id"] for d in shown["deliveries"]) == sorted(
        c["payload"]["delivery_id"] for c in sent_commands
    )
    assert {d["status"] for d in shown["deliveries"]} == {"queued"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("x" * 161, "one text message holds 160 characters; this one has 161"),
        (
            "Ж" * 71,
            "one text message holds 70 characters when it has a character such as “Ж”;"
            " this one has 71",
        ),
    ],
)
async def test_texts_over_one_segment_are_refused_with_count_encoding_and_limit(
    db, app, body, says
):
    t, job, (dana, _, _) = await ready_job(db)
    async with client(app, t.token) as api:
        answer = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana)], "body": body},
        )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == says


async def test_recipients_must_belong_to_the_job_and_have_the_address(db, app):
    t, job, (_, _, ava) = await ready_job(db)
    async with client(app, t.token) as api:
        stranger = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(uuid.uuid4())], "body": "hi"},
        )
        no_phone = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(ava)], "body": "hi"},
        )
    assert (
        "is not a contact of the job's customer or property" in stranger.json()["error"]["message"]
    )
    assert no_phone.json()["error"]["message"] == "recipient Ava has no phone number"


async def test_an_opted_out_number_is_refused_for_that_recipient_only(db, app):
    t, job, (dana, sam, _) = await ready_job(db)
    await t.send(
        commands.RecordOptOut(t.tenant_id, NOW, "+15555550102", opted_out=True, keyword="STOP")
    )
    async with client(app, t.token) as api:
        listed = (await api.get(f"/v1/jobs/{job.job_id}/recipients")).json()["items"]
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana), str(sam)], "body": "Hello"},
        )
        shown = (await api.get(f"/v1/communications/{sent.json()['communication_id']}")).json()
    assert {r["name"]: r["opted_out"] for r in listed} == {"Dana": False, "Sam": True, "Ava": False}
    assert {d["recipient_name"]: d["status"] for d in shown["deliveries"]} == {
        "Dana": "queued",
        "Sam": "opted_out",
    }
    assert [
        c["payload"]["to"] for c in await commands_for(db, sent.json()["communication_id"])
    ] == ["+15555550101"]
    published = [e for e in await lifecycle_of(db, job.job_id) if e["type"].startswith("job.comm")]
    assert [e["payload"] for e in published] == [
        {
            "job_id": str(job.job_id),
            "job_number": published[0]["payload"]["job_number"],
            "communication_id": sent.json()["communication_id"],
            "channel": "sms",
            "recipients": 1,
            "opted_out": 1,
            "attachments": 0,
            "send_at": published[0]["payload"]["send_at"],
            "requested_by": published[0]["payload"]["requested_by"],
        }
    ]
    assert "+1555555010" not in json.dumps(published)  # no addresses on a widely read topic


async def test_an_email_carries_a_photo_a_property_document_and_the_invoice(db, app, blob_dir):
    t, job, (dana, _, _) = await ready_job(db)
    async with client(app, t.token) as api:
        photo = (
            await api.post(
                f"/v1/jobs/{job.job_id}/documents",
                data={"kind": "finished_photo"},
                files={"file": ("after.jpg", JPEG, "image/jpeg")},
            )
        ).json()
        plan = (
            await api.post(
                f"/v1/properties/{job.property_id}/documents",
                data={"kind": "document"},
                files={"file": ("plan.jpg", JPEG + b"2", "image/jpeg")},
            )
        ).json()
        await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")  # asks for the render
        sha = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["snapshot_sha256"]
        await BlobStore(blob_dir.as_uri()).put(f"invoices/{sha}.pdf", PDF)
        await t.send(
            commands.RecordInvoiceRender(
                t.tenant_id,
                NOW,
                job.job_id,
                sha,
                rendered=True,
                blob_key=f"invoices/{sha}.pdf",
                pdf_sha256=hashlib.sha256(PDF).hexdigest(),
                pages=1,
                size_bytes=len(PDF),
            )
        )
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "email",
                "recipient_ids": [str(dana)],
                "subject": "Your job",
                "body": "Photos and invoice attached.",
                "attachments": [
                    {"kind": "finished_photo", "id": photo["id"]},
                    {"kind": "document", "id": plan["id"]},
                    {"kind": "invoice", "id": str(job.job_id)},
                ],
            },
        )
        foreign = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "email",
                "recipient_ids": [str(dana)],
                "subject": "x",
                "body": "y",
                "attachments": [{"kind": "document", "id": str(uuid.uuid4())}],
            },
        )
    assert sent.status_code == 202, sent.text
    (email,) = await commands_for(db, sent.json()["communication_id"])
    attached = {a["filename"]: a["sha256"] for a in email["payload"]["attachments"]}
    assert attached == {
        "after.jpg": hashlib.sha256(JPEG).hexdigest(),
        "plan.jpg": hashlib.sha256(JPEG + b"2").hexdigest(),
        "INV-000001.pdf": hashlib.sha256(PDF).hexdigest(),
    }
    assert foreign.status_code == 422


async def test_a_later_send_waits_for_its_time_and_survives_in_the_database(db, app):
    t, job, (dana, _, _) = await ready_job(db)
    async with client(app, t.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={
                "channel": "sms",
                "recipient_ids": [str(dana)],
                "body": "Reminder",
                "send_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            },
        )
    assert sent.json()["status"] == "scheduled"
    communication = sent.json()["communication_id"]
    assert await commands_for(db, communication) == []
    scheduler = MessageBus(lambda why: PostgresUnitOfWork(db, why))  # nothing kept in memory
    deadline = time.monotonic() + 10
    while not await commands_for(db, communication):
        assert time.monotonic() < deadline, "the scheduled text was never released"
        await release_due_communications(scheduler)
    assert len(await commands_for(db, communication)) == 1


async def test_statuses_from_comms_show_per_recipient_and_never_go_back(db, app):
    t, job, (dana, _, _) = await ready_job(db)
    async with client(app, t.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana)], "body": "Hi"},
        )
        (command,) = await commands_for(db, sent.json()["communication_id"])
        delivery = uuid.UUID(command["payload"]["delivery_id"])
        for status in ("sent", "delivered", "sent"):  # a late "sent" after "delivered"
            await t.send(commands.RecordDeliveryStatus(t.tenant_id, NOW, delivery, status))
        shown = (await api.get(f"/v1/jobs/{job.job_id}/communications")).json()["items"]
    assert shown[0]["deliveries"][0]["status"] == "delivered"


async def test_invoice_sends_carry_the_pdf_current_when_asked_for(db, app, blob_dir):
    t, job, (dana, _, _) = await ready_job(db, steps=4)
    shas = []
    async with client(app, t.token) as api:
        for paid in (None, "10.00"):
            if paid:
                await t.send(
                    commands.RecordPayment(
                        t.tenant_id, NOW, job.job_id, uuid.uuid4(), Decimal(paid), "card"
                    )
                )
            await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
            sha = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()["snapshot_sha256"]
            pdf = PDF + sha.encode()
            await BlobStore(blob_dir.as_uri()).put(f"invoices/{sha}.pdf", pdf)
            await t.send(
                commands.RecordInvoiceRender(
                    t.tenant_id,
                    NOW,
                    job.job_id,
                    sha,
                    rendered=True,
                    blob_key=f"invoices/{sha}.pdf",
                    pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                    pages=1,
                    size_bytes=len(pdf),
                )
            )
            shas.append(hashlib.sha256(pdf).hexdigest())
            answer = await api.post(
                f"/v1/jobs/{job.job_id}/invoice/sends", json={"recipient_ids": [str(dana)]}
            )
            assert answer.status_code == 202, answer.text
        sends = (await api.get(f"/v1/jobs/{job.job_id}/invoice/sends")).json()["items"]
    assert [s["invoice_pdf_sha256"] for s in sends] == shas
    assert len(set(shas)) == 2
    published = [e for e in await lifecycle_of(db, job.job_id) if e["type"] == "job.invoice_sent"]
    assert [(e["payload"]["pdf_sha256"], e["payload"]["recipients"]) for e in published] == [
        (sha, 1) for sha in shas
    ]
    assert all(s["deliveries"][0]["status"] == "queued" for s in sends)


async def test_a_send_with_an_idempotency_key_marks_it_applied_with_the_send(db, app):
    t, job, (dana, _, _) = await ready_job(db)
    async with client(app, t.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana)], "body": "On our way"},
            headers={"Idempotency-Key": "text-1"},
        )
    assert sent.status_code == 202
    # Set in the send's own transaction: a retry after a crash can tell it took effect.
    applied_at = await db.fetchval(
        "SELECT applied_at FROM jobs.idempotency_keys WHERE tenant_id = $1 AND key = 'text-1'",
        t.tenant_id,
    )
    assert applied_at is not None


async def test_a_send_whose_key_a_retry_took_over_sends_nothing(db, app):
    t, job, (dana, _, _) = await ready_job(db)
    keys = app.state.runtime.idempotency

    class TakenOverMeanwhile:
        """Claims as usual, then lets a retry take the key over before the send commits."""

        async def claim(self, tenant_id, key, request_hash):
            claim = await keys.claim(tenant_id, key, request_hash)
            await db.execute(
                "UPDATE jobs.idempotency_keys SET claim_id = $3 WHERE tenant_id = $1 AND key = $2",
                tenant_id,
                key,
                uuid.uuid4(),
            )
            return claim

        def __getattr__(self, name):
            return getattr(keys, name)

    app.state.runtime.idempotency = TakenOverMeanwhile()
    async with client(app, t.token) as api:
        sent = await api.post(
            f"/v1/jobs/{job.job_id}/communications",
            json={"channel": "sms", "recipient_ids": [str(dana)], "body": "On our way"},
            headers={"Idempotency-Key": "text-2"},
        )
    assert (sent.status_code, sent.json()["error"]["code"]) == (409, "conflict")
    saved = await db.fetchval(
        "SELECT count(*) FROM jobs.communications WHERE job_id = $1", job.job_id
    )
    assert saved == 0
