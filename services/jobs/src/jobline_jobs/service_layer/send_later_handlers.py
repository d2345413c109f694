"""Handlers of issue 18: calling off a scheduled communication, and the tenant's
message templates."""

from collections.abc import Awaitable, Callable
from typing import Any

from jobline_jobs.domain import commands, templates
from jobline_jobs.domain.errors import Conflict, Rejected, UnknownJob
from jobline_jobs.service_layer.unit_of_work import UnitOfWork


class UnknownTemplate(Rejected):
    """The command names a template this tenant does not have (the API answers 404)."""

    kind = "unknown_template"


async def cancel_communication(cmd: commands.CancelCommunication, uow: UnitOfWork) -> None:
    # The job's lock orders the cancel's timeline entry after the request's; the
    # communication's lock makes the scheduler skip it, or the cancel wait for the release.
    job = await uow.jobs.get(cmd.tenant_id, cmd.job_id)
    communication = await uow.communications.get(cmd.tenant_id, cmd.communication_id)
    if job is None or communication is None or communication.job_id != cmd.job_id:
        raise UnknownJob(f"job {cmd.job_id} has no communication {cmd.communication_id}")
    communication.cancel(cmd.by)


async def save_template(cmd: templates.SaveTemplate, uow: UnitOfWork) -> None:
    template = templates.template(cmd)
    same_name = await uow.templates.named(cmd.tenant_id, template.name, template.channel)
    if same_name is not None and same_name.template_id != cmd.template_id:
        raise Conflict(f"there is a template called “{template.name}” already")
    await uow.templates.save(template)


async def delete_template(cmd: templates.DeleteTemplate, uow: UnitOfWork) -> None:
    if await uow.templates.get(cmd.tenant_id, cmd.template_id) is None:
        raise UnknownTemplate(f"there is no template {cmd.template_id}")
    await uow.templates.delete(cmd.tenant_id, cmd.template_id)


HANDLERS: dict[type[commands.Command], Callable[[Any, UnitOfWork], Awaitable[None]]] = {
    commands.CancelCommunication: cancel_communication,
    templates.SaveTemplate: save_template,
    templates.DeleteTemplate: delete_template,
}
