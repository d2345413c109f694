"""A job upstream dispatched without a tax rate is taxed at the tenant's default rate (a
setting); a rate upstream gave, zero included, is kept."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import dispatch_job, line
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def causation() -> Causation:
    message = uuid4()
    return Causation("jobs.dispatch-facts", message, "job.dispatched", message, NOW, "upstream")


@pytest.mark.parametrize(
    ("given", "total", "rate"),
    [(None, "110.00", "0.1"), ("0", "100.00", "0"), ("0.05", "105.00", "0.05")],
)
async def test_the_tenants_default_rate_applies_only_when_upstream_gave_none(given, total, rate):
    world = World({"acme"})
    world.directory.default_tax_rates["acme"] = Decimal("0.1")
    cmd = replace(dispatch_job(lines=(line("1", "100.00"),)), tax_rate=given and Decimal(given))
    await MessageBus(world.uow).execute(cmd, causation())
    job = world.jobs[("acme", cmd.job_id)]
    assert (job.tax_rate, job.total) == (Decimal(rate), Decimal(total))
