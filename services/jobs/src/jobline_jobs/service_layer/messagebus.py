"""The message bus: one transaction per command, idempotent by message id."""

from collections.abc import Callable
from enum import StrEnum
from uuid import UUID

from jobline_jobs.domain import commands
from jobline_jobs.domain.errors import Rejected, UnknownTenant
from jobline_jobs.domain.events import Event
from jobline_jobs.service_layer.handlers import HANDLERS, Handler
from jobline_jobs.service_layer.unit_of_work import Causation, UnitOfWork


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


UnitOfWorkFactory = Callable[[Causation], UnitOfWork]


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: dict[type[commands.Command], Handler] = HANDLERS,
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = handlers

    async def handle(self, command: commands.Command, causation: Causation) -> Outcome:
        """Apply ``command`` once. A rejection is committed too (timeline + dead letter),
        so redelivering a rejected message is as harmless as redelivering an applied one."""
        handler = self._handlers[type(command)]
        async with self._uow_factory(causation) as uow:
            if not await uow.claim():
                return Outcome.DUPLICATE
            try:
                async with uow.attempt():
                    if not await uow.directory.tenant_exists(command.tenant_id):
                        raise UnknownTenant(f"tenant {command.tenant_id!r} is not provisioned")
                    await handler(command, uow)
            except Rejected as rejection:
                await uow.record_rejection(
                    command.tenant_id, _job_id(command), rejection.kind, rejection.reason
                )
                await uow.commit()
                return Outcome.REJECTED
            await uow.commit()
            return Outcome.APPLIED

    async def execute(self, command: commands.Command, causation: Causation) -> None:
        """Apply an operator's command at once; a refusal is raised, and changes nothing.

        Operators' commands are not claimed: the API's Idempotency-Key plays that role,
        marked as applied in the same transaction when the request sent one.
        """
        handler = self._handlers[type(command)]
        async with self._uow_factory(causation) as uow:
            async with uow.attempt():
                await handler(command, uow)
            if causation.key_claim is not None:
                await uow.mark_applied(causation.key_claim)
            await uow.commit()

    async def preview(self, command: commands.Command, causation: Causation) -> list[Event]:
        """What ``command`` would record, recording nothing: the same handler and rules,
        then a rollback. A refusal is raised, as by ``execute``."""
        handler = self._handlers[type(command)]
        async with self._uow_factory(causation) as uow, uow.attempt():
            await handler(command, uow)
            return [event for job in uow.jobs.seen() for event in job.events]


def _job_id(command: commands.Command) -> UUID | None:
    job_id = getattr(command, "job_id", None)
    return job_id if isinstance(job_id, UUID) else None
