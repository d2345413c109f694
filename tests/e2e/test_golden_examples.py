"""Every golden example of dispatch.events.v1, published with kcat as an integrator
would (fresh ids, our test tenant), yields the expected state and lifecycle events."""

import json
import re
import shutil
import subprocess
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.kafka import Seen

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples" / DISPATCH_EVENTS.name
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The story of contracts/examples/README.md, in the order it happened, with the
# lifecycle events each fact must produce for its job.
STORY: list[tuple[str, list[str]]] = [
    ("customer.upserted", []),
    ("property.upserted", []),
    ("technician.upserted", []),
    ("job.dispatched", ["job.created", "job.dispatch_assigned"]),
    ("dispatch.assigned", ["job.dispatch_assigned"]),
    ("dispatch.status_changed", ["job.dispatch_status_changed"]),
    ("job.rescheduled", ["job.rescheduled"]),
    ("job.started", ["job.status_changed"]),
    # Luis completed the visit: 15 % of 330.37 earned (commission.entry_recorded).
    ("job.work_completed", ["job.status_changed", "commission.entry_recorded"]),
    ("document.added", ["job.document_added"]),
    ("job.quality_checked", ["job.status_changed"]),
    ("job.invoiced", ["job.status_changed", "invoice.issued"]),
    (
        "payment.recorded",
        ["job.payment_recorded", "job.status_changed", "invoice.revised", "invoice.paid"],
    ),
]


class FreshIds:
    """Rewrites examples with new ids (the same new id for the same old one)."""

    def __init__(self, tenant: str) -> None:
        self.tenant, self.ids = tenant, {}

    def new(self, old: str) -> str:
        return self.ids.setdefault(old, str(uuid.uuid4()))

    def rewrite(self, name: str) -> dict:
        text = (EXAMPLES / f"{name}.v1.json").read_text()
        message = json.loads(UUID_RE.sub(lambda m: self.new(m.group()), text))
        message["tenant_id"] = self.tenant
        if "blob_key" in message["payload"]:  # keys are under their tenant's prefix
            old_key = message["payload"]["blob_key"]
            message["payload"]["blob_key"] = f"{self.tenant}/{old_key.partition('/')[2]}"
        return message


def kcat_publish(bootstrap: str, key: str, message: dict) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is installed by deploy/local/install-system.sh"
    subprocess.run(
        [kcat, "-P", "-b", bootstrap, "-t", DISPATCH_EVENTS.name, "-k", key],
        input=json.dumps(message, separators=(",", ":")).encode(),
        check=True,
        timeout=30,
    )


def key_of(message: dict) -> str:
    payload = message["payload"]
    for field in ("job_id", "customer_id", "property_id", "technician_id"):
        if payload.get(field):
            return payload[field]
    raise AssertionError(f"no key for {message['type']}")


async def test_the_golden_story_replayed_with_kcat(
    kafka_bootstrap: str, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    fresh = FreshIds(tenant)
    job_id, expected = None, []
    for name, produces in STORY:
        message = fresh.rewrite(name)
        kcat_publish(kafka_bootstrap, key_of(message), message)
        job_id = message["payload"].get("job_id", job_id)
        expected += produces

        def of_job(seen: Seen, job: str | None = job_id) -> bool:
            return seen.key == str(job).encode()

        seen = await lifecycle.wait_for(of_job, count=len(expected))
        assert [json.loads(s.value)["type"] for s in seen] == expected, name

    job = await db.fetchrow("SELECT * FROM jobs.jobs WHERE tenant_id = $1", tenant)
    assert (job["step"], job["total"], job["amount_paid"]) == (
        "paid",
        Decimal("330.37"),
        Decimal("330.37"),
    )
    assert job["completed_at"] is not None
    rescheduled = fresh.rewrite("job.rescheduled")["payload"]["schedule"]
    assert job["scheduled_start"] == datetime.fromisoformat(rescheduled["start"])
    visits = await db.fetch(
        "SELECT status FROM jobs.dispatches WHERE tenant_id = $1 ORDER BY window_start", tenant
    )
    assert [v["status"] for v in visits] == ["completed", "scheduled"]
    customer = await db.fetchrow(
        "SELECT name, (SELECT count(*) FROM jobs.contacts c WHERE c.tenant_id = $1) AS contacts"
        " FROM jobs.customers WHERE tenant_id = $1",
        tenant,
    )
    assert customer["name"] == "Dana Whitfield"
    assert customer["contacts"] >= 2  # the customer's and the property's
    assert (
        await db.fetchval("SELECT kind FROM jobs.documents WHERE tenant_id = $1", tenant)
        == "finished_photo"
    )


async def test_the_golden_cancellation_cancels_a_known_job(
    kafka_bootstrap: str, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    fresh = FreshIds(tenant)
    canceled = fresh.rewrite("job.canceled")
    # J-10043's own job.dispatched is not among the examples: book it from J-10042's.
    booking = fresh.rewrite("job.dispatched")
    booking["payload"] |= {"job_id": canceled["payload"]["job_id"], "job_number": "J-10043"}
    for message in (booking, canceled):
        kcat_publish(kafka_bootstrap, key_of(message), message)

    job = canceled["payload"]["job_id"]
    seen = await lifecycle.wait_for(lambda s: s.key == job.encode(), count=3)
    change = json.loads(seen[-1].value)["payload"]
    assert (change["from_step"], change["to_step"]) == ("open_dispatch", "canceled")
    assert (
        await db.fetchval(
            "SELECT step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
            tenant,
            uuid.UUID(job),
        )
        == "canceled"
    )
