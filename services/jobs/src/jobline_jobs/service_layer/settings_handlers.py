"""Handlers of tenant settings."""

from jobline_jobs.domain.errors import UnknownTenant
from jobline_jobs.domain.tenant_settings import UpdateTenantSettings
from jobline_jobs.service_layer.unit_of_work import UnitOfWork


async def update_tenant_settings(cmd: UpdateTenantSettings, uow: UnitOfWork) -> None:
    # The row lock orders two admins' concurrent changes; the later one wins field by field.
    current = await uow.tenant_settings.get(cmd.tenant_id)
    if current is None:
        raise UnknownTenant(f"tenant {cmd.tenant_id!r} is not provisioned")
    await uow.tenant_settings.save(current.changed(cmd.changes, by=cmd.by, at=cmd.occurred_at))
