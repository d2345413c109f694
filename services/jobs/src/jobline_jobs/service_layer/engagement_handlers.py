"""Handlers of issue 20's email engagement: an email's opens and deferrals kept on its
delivery."""

from collections.abc import Awaitable, Callable
from typing import Any

from jobline_jobs.domain import commands, foreign_references
from jobline_jobs.domain.email_engagement import RecordEngagement
from jobline_jobs.service_layer.unit_of_work import UnitOfWork


async def record_engagement(cmd: RecordEngagement, uow: UnitOfWork) -> None:
    # Found (and locked) as a status report finds it: another tenant's is refused alike.
    if await uow.deliveries.get(cmd.tenant_id, cmd.delivery_id) is None:
        raise foreign_references.foreign_delivery(cmd.delivery_id)
    uow.deliveries.record_engagement(cmd)


HANDLERS: dict[type[commands.Command], Callable[[Any, UnitOfWork], Awaitable[None]]] = {
    RecordEngagement: record_engagement,
}
