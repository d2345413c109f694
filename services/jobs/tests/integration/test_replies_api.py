"""Customers' replies on real PostgreSQL (issue 20): filed under the job of the latest
message sent to the sender, or in the tenant's inbox; a job's conversation in order; the
inbox's unread count; ids only on jobs.lifecycle.v1."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from jobline_jobs.domain.replies import RecordReply, ReplyFile
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
DANA_PHONE, DANA_EMAIL = "+15555550101", "dana@example.com"


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path / "blobs")


async def tenant_with_job(db):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    job = await t.job(NOW - timedelta(days=1), steps=1)
    (dana,) = await t.contacts(job, ("Dana", DANA_PHONE, "Dana@Example.com"))
    return t, job, dana


async def send(api, job_id, dana, channel: str, body: str) -> str:
    message = {"channel": channel, "recipient_ids": [str(dana)], "body": body}
    if channel == "email":
        message["subject"] = "Your visit"
    answer = await api.post(f"/v1/jobs/{job_id}/communications", json=message)
    assert answer.status_code == 202, answer.text
    return answer.json()["communication_id"]


def reply(t, channel: str, sender: str, body: str, *files: ReplyFile) -> RecordReply:
    return RecordReply(
        t.tenant_id, NOW, uuid.uuid4(), channel, sender, None, body, datetime.now(UTC), files
    )


async def lifecycle(db, key) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'jobs.lifecycle.v1' AND key = $1"
        " ORDER BY outbox_id",
        str(key).encode(),
    )
    return [json.loads(r["value"]) for r in rows]


async def test_a_text_reply_joins_the_conversation_of_the_latest_job_texted(db, app):
    t, first, dana = await tenant_with_job(db)
    later = await t.job(NOW, steps=1)
    await t.contacts(later, ("Dana", DANA_PHONE, None))
    photo = ReplyFile(f"{t.tenant_id}/replies/r/1", "photo-1.jpg", "image/jpeg", 812, "a" * 64)
    async with client(app, t.token) as api:
        await send(api, first.job_id, dana, "sms", "We are coming Tuesday")
        recipients = (await api.get(f"/v1/jobs/{later.job_id}/recipients")).json()["items"]
        sent = await send(api, later.job_id, recipients[0]["id"], "sms", "On our way")
        text = reply(t, "sms", DANA_PHONE, "Gate code is 4412", photo)
        await t.send(text)
        talk = (await api.get(f"/v1/jobs/{later.job_id}/conversation")).json()
        earlier = (await api.get(f"/v1/jobs/{first.job_id}/conversation")).json()
        documents = (await api.get(f"/v1/jobs/{later.job_id}/attachments")).json()["items"]
        inbox = (await api.get("/v1/inbox")).json()
    message, answer = talk["items"]
    assert (message["kind"], message["id"], message["body"]) == ("message", sent, "On our way")
    assert message["deliveries"][0]["status"] == "queued"
    assert (answer["kind"], answer["body"], answer["sender"]) == (
        "reply",
        "Gate code is 4412",
        DANA_PHONE,
    )
    assert (answer["job_id"], answer["in_reply_to"]) == (str(later.job_id), sent)
    assert [i["kind"] for i in earlier["items"]] == ["message"]
    assert [d["filename"] for d in documents if d["kind"] == "document"] == ["Reply photo 1.jpg"]
    assert inbox["unread"] == 1
    assert inbox["items"][0]["id"] == str(text.reply_id)
    [event] = [
        e for e in await lifecycle(db, later.job_id) if e["type"] == "communication.reply_received"
    ]
    assert event["payload"]["reply_id"] == str(text.reply_id)
    assert event["payload"]["in_reply_to"] == sent
    assert len(event["payload"]["document_ids"]) == 1
    assert "Gate code" not in json.dumps(event)
    assert DANA_PHONE not in json.dumps(event)


async def test_a_reply_from_an_unknown_number_lands_in_its_tenants_inbox_only(db, app):
    t, job, _ = await tenant_with_job(db)
    other, other_job, other_dana = await tenant_with_job(db)
    async with client(app, other.token) as api:
        await send(api, other_job.job_id, other_dana, "sms", "Hello from the other business")
    stranger = reply(t, "sms", "+15555550199", "Who is this?")
    await t.send(stranger)
    async with client(app, t.token) as api:
        mine = (await api.get("/v1/inbox")).json()
    async with client(app, other.token) as api:
        theirs = (await api.get("/v1/inbox")).json()
        their_talk = (await api.get(f"/v1/jobs/{other_job.job_id}/conversation")).json()
    assert (mine["unread"], mine["items"][0]["job_id"]) == (1, None)
    assert (theirs["unread"], theirs["items"]) == (0, [])
    assert [i["kind"] for i in their_talk["items"]] == ["message"]
    [event] = await lifecycle(db, stranger.reply_id)
    assert event["type"] == "communication.reply_received"
    assert event["payload"]["job_id"] is None
    assert (
        await db.fetchval(
            "SELECT count(*) FROM jobs.timeline WHERE type = 'communication.reply_received'"
            " AND job_id = $1",
            job.job_id,
        )
        == 0
    )


async def test_an_email_reply_matches_the_address_whatever_its_case(db, app):
    t, job, dana = await tenant_with_job(db)
    async with client(app, t.token) as api:
        sent = await send(api, job.job_id, dana, "email", "Here is your invoice")
        await t.send(reply(t, "email", DANA_EMAIL, "Paid, thanks"))
        talk = (await api.get(f"/v1/jobs/{job.job_id}/conversation")).json()
    assert [(i["kind"], i.get("in_reply_to")) for i in talk["items"]] == [
        ("message", None),
        ("reply", sent),
    ]


async def test_mark_read_lowers_the_unread_count_and_refuses_other_tenants_replies(db, app):
    t, _, _ = await tenant_with_job(db)
    other, _, _ = await tenant_with_job(db)
    mine, theirs = reply(t, "sms", "+15555550198", "hi"), reply(other, "sms", "+15555550198", "hi")
    await t.send(mine)
    await other.send(theirs)
    async with client(app, t.token) as api:
        foreign = await api.post("/v1/inbox/read", json={"reply_ids": [str(theirs.reply_id)]})
        read = await api.post("/v1/inbox/read", json={"reply_ids": [str(mine.reply_id)]})
        unread_only = (await api.get("/v1/inbox", params={"unread_only": "true"})).json()
    assert foreign.status_code == 422
    assert (read.status_code, read.json()) == (200, {"unread": 0})
    assert unread_only["items"] == []
    async with client(app, other.token) as api:
        assert (await api.get("/v1/inbox")).json()["unread"] == 1


async def test_a_long_conversation_pages_in_order(db, app):
    t, job, dana = await tenant_with_job(db)
    async with client(app, t.token) as api:
        for n in range(3):
            await send(api, job.job_id, dana, "sms", f"Message {n}")
            await t.send(reply(t, "sms", DANA_PHONE, f"Reply {n}"))
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await api.get(f"/v1/jobs/{job.job_id}/conversation", params=params)).json()
            seen += [i["body"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [f"{kind} {n}" for n in range(3) for kind in ("Message", "Reply")]
